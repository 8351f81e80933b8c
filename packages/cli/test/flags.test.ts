import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { dayRangeFlags, portFlag, wholeNumberFlag } from '../src/flags.js';
import { untilStopped } from '../src/until-stopped.js';

/** The `{code, message, hint, argument}` a flag error carries. */
function refusal(parse: () => unknown): Record<string, unknown> {
  try {
    parse();
  } catch (error) {
    const { code, message, data } = error as { code: string; message: string; data: Record<string, unknown> };
    return { code, message, hint: data.hint, argument: data.argument };
  }
  throw new Error('expected the flag to be refused');
}

describe('whole-number flags', () => {
  it('takes a whole number within its range, surrounding spaces and all', () => {
    expect(wholeNumberFlag('days', '30', { min: 1, max: 366 }, '30')).toBe(30);
    expect(wholeNumberFlag('days', ' 366 ', { min: 1, max: 366 }, '30')).toBe(366);
    expect(portFlag('0', 7755)).toBe(0);
    expect(portFlag('65535', 7755)).toBe(65_535);
  });

  it('refuses fractions, signs, exponents, words and numbers out of range, naming the flag and the range', () => {
    for (const text of ['1.5', '-1', '+3', '1e3', 'eighty', '', '0x10', '9007199254740993'])
      expect(refusal(() => wholeNumberFlag('max-sessions', text, { min: 1 }, '100'))).toMatchObject({
        code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
        message: `--max-sessions ${text} is not a whole number (1 or more)`,
        argument: 'max-sessions',
      });
    expect(refusal(() => portFlag('99999', 7756))).toEqual({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      message: '--port 99999 is not a whole number (from 0 to 65535)',
      hint: 'Give a whole number from 0 to 65535, e.g. --port 7756.',
      argument: 'port',
    });
    expect(refusal(() => wholeNumberFlag('reconcile-every', '0', { min: 1, unit: 'minutes' }, '15'))).toMatchObject({
      message: '--reconcile-every 0 is not a whole number of minutes (1 or more)',
    });
  });
});

describe('--from and --to', () => {
  it('counts --days back from today, or from --to, both ends included', () => {
    expect(dayRangeFlags({}, '2026-03-02', 7)).toEqual({ fromDay: '2026-02-24', toDay: '2026-03-02' });
    expect(dayRangeFlags({ to: '2026-01-01' }, '2026-03-02', 1)).toEqual({
      fromDay: '2026-01-01',
      toDay: '2026-01-01',
    });
    expect(dayRangeFlags({ from: '2025-12-30', to: '2026-01-02' }, '2026-03-02', 7)).toEqual({
      fromDay: '2025-12-30',
      toDay: '2026-01-02',
    });
  });

  it('refuses a date not written YYYY-MM-DD, or not on the calendar, and a range that ends before it starts', () => {
    expect(refusal(() => dayRangeFlags({ from: '23/11/2026' }, '2026-11-30', 7))).toMatchObject({
      message: '--from "23/11/2026" is not a date',
      argument: 'from',
    });
    expect(refusal(() => dayRangeFlags({ to: '2026-13-01' }, '2026-11-30', 7))).toMatchObject({
      message: '--to "2026-13-01" is not a date',
      argument: 'to',
    });
    expect(refusal(() => dayRangeFlags({ from: '2026-02-01', to: '2026-01-01' }, '2026-11-30', 7))).toEqual({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      message: '--from 2026-02-01 is after --to 2026-01-01',
      hint: 'Swap them, or leave --from out to use --days.',
      argument: 'from',
    });
  });
});

describe('until stopped', () => {
  const settled = async (promise: Promise<void>): Promise<boolean> =>
    Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 50))]);

  it('waits for SIGTERM, then lets go of its signal handlers', async () => {
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
    const stopped = untilStopped();
    expect(await settled(stopped)).toBe(false);
    process.emit('SIGTERM');
    expect(await settled(stopped)).toBe(true);
    expect({ term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') }).toEqual(before);
  });

  it('also ends when the given input ends (a stdio client hanging up)', async () => {
    const input = new PassThrough();
    const stopped = untilStopped(input);
    expect(await settled(stopped)).toBe(false);
    input.end();
    input.resume();
    expect(await settled(stopped)).toBe(true);
    expect(input.listenerCount('end')).toBe(0);
  });
});
