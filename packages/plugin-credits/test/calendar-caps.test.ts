import { usd } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { manualProvider } from '../src/index.js';
import { wallet } from './helpers.js';

const NY = 'America/New_York';

async function nyWallet(start: string, caps: { dailyCeiling?: string; monthlyLimit?: string }) {
  const manual = manualProvider();
  const w = await wallet({ provider: manual, ...caps }, { clock: manualClock(start), timeZone: NY });
  await manual.grant({ amount: '10000' });
  let n = 0;
  const spend = async (amount: string) => {
    const key = `s${n++}`;
    await w.pool.reserve({ key, amount: usd(amount) });
    await w.pool.settle({ key, cost: usd(amount) });
  };
  const admits = async (amount: string) => {
    try {
      await w.pool.reserve({ key: `probe${n++}`, amount: usd(amount), ttlMs: 1 });
      return true;
    } catch (error) {
      return (error as Error).message;
    }
  };
  return { w, spend, admits };
}

describe('calendar caps in the hub time zone', () => {
  it('resets the daily ceiling at local midnight, not UTC midnight', async () => {
    const { w, spend, admits } = await nyWallet('2026-11-23T23:30:00-05:00', { dailyCeiling: '100' });
    await spend('100');
    // 00:30 UTC on the 24th is still the 23rd in New York.
    w.clock.set('2026-11-24T00:30:00Z');
    expect(await admits('1')).toContain('it resets Nov 24, 12am (America/New_York)');
    w.clock.set('2026-11-24T05:00:00Z');
    expect(await admits('1')).toBe(true);
  });

  it('gives the 23-hour day when DST starts (2026-03-08) its own ceiling and resets at the next local midnight', async () => {
    const { w, spend, admits } = await nyWallet('2026-03-08T00:30:00-05:00', { dailyCeiling: '100' });
    await spend('100');
    w.clock.set('2026-03-08T23:59:00-04:00');
    expect(await admits('1')).toContain('it resets Mar 9, 12am (America/New_York)');
    const status = await w.pool.status();
    expect(status.resetsAt).toBe(Date.parse('2026-03-09T04:00:00Z'));
    w.clock.set('2026-03-09T04:00:00Z');
    expect(await admits('1')).toBe(true);
  });

  it('keeps the 25-hour day when DST ends (2026-11-01) one window, 24 hours after its start included', async () => {
    const { w, spend, admits } = await nyWallet('2026-11-01T00:30:00-04:00', { dailyCeiling: '100' });
    await spend('100');
    // 24 hours later it is 23:30 on Nov 1 in New York (EST): the same day, still refused.
    w.clock.set(Date.parse('2026-11-01T00:30:00-04:00') + 24 * 3_600_000);
    expect(await admits('1')).toContain('it resets Nov 2, 12am (America/New_York)');
    w.clock.set('2026-11-02T05:00:00Z');
    expect(await admits('1')).toBe(true);
  });

  it('resets the monthly spend limit at local midnight on the first across a DST change', async () => {
    const { w, spend, admits } = await nyWallet('2026-10-31T23:30:00-04:00', {
      monthlyLimit: '50',
      dailyCeiling: 'unlimited',
    });
    await spend('50');
    expect(await admits('1')).toContain('the monthly spend limit of $50.00 is reached');
    expect(await admits('1')).toContain('it resets Nov 1, 12am (America/New_York)');
    w.clock.set('2026-11-01T03:59:59Z');
    expect(await admits('1')).not.toBe(true);
    w.clock.set('2026-11-01T04:00:00Z');
    expect(await admits('1')).toBe(true);
    await spend('49');
    w.clock.set('2026-11-30T23:59:00-05:00');
    expect(await admits('2')).toContain('it resets Dec 1, 12am (America/New_York)');
    w.clock.set('2026-12-01T05:00:00Z');
    expect(await admits('50')).toBe(true);
  });

  it('resets the monthly limit in March at local midnight after the spring-forward month', async () => {
    const { w, spend, admits } = await nyWallet('2026-03-08T12:00:00-04:00', { monthlyLimit: '20' });
    await spend('20');
    w.clock.set('2026-03-31T23:59:00-04:00');
    expect(await admits('1')).toContain('it resets Apr 1, 12am (America/New_York)');
    w.clock.set('2026-04-01T04:00:00Z');
    expect(await admits('20')).toBe(true);
  });
});
