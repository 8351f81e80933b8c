import { describe, expect, expectTypeOf, it } from 'vitest';
import { DrawdownError, ErrorCodes, isDrawdownError, type PoolExhaustedData } from '../src/index.js';

describe('DrawdownError', () => {
  it('narrows data by code through the type guard, so callers read fields without casts', () => {
    const error: unknown = new DrawdownError(ErrorCodes.POOL_EXHAUSTED, 'monthly cap reached', {
      data: { poolId: 'api', limit: 'monthly cap', resetsAt: 42 },
    });
    if (!isDrawdownError(error, ErrorCodes.POOL_EXHAUSTED)) throw new Error('expected a pool refusal');
    expectTypeOf(error.data).toEqualTypeOf<PoolExhaustedData>();
    expectTypeOf(error.code).toEqualTypeOf<'DRAWDOWN_POOL_EXHAUSTED'>();
    expect(error.data.resetsAt).toBe(42);
  });

  it('does not narrow to another code', () => {
    const error = new DrawdownError(ErrorCodes.HUB_CLOSED, 'closed');
    expect(isDrawdownError(error, ErrorCodes.POOL_EXHAUSTED)).toBe(false);
    expect(isDrawdownError(error)).toBe(true);
    expect(isDrawdownError(new Error('plain'))).toBe(false);
  });

  it('gives a plain record for a code it has no entry for', () => {
    const error: unknown = new DrawdownError('DRAWDOWN_SOMEONE_ELSE', 'x', { data: { anything: 1 } });
    if (!isDrawdownError(error)) throw new Error('expected a DrawdownError');
    expectTypeOf(error.data).toEqualTypeOf<Record<string, unknown>>();
    expect(error.toJSON()).toEqual({ code: 'DRAWDOWN_SOMEONE_ELSE', message: 'x', data: { anything: 1 } });
  });

  it('checks data against the code when an error is made', () => {
    const wrong = new DrawdownError(ErrorCodes.POOL_EXHAUSTED, 'x', {
      // @ts-expect-error: the map gives DRAWDOWN_POOL_EXHAUSTED a numeric resetsAt (epoch ms), not a string
      data: { poolId: 'p', limit: 'cap', resetsAt: 'soon' },
    });
    expectTypeOf(wrong.data.resetsAt).toEqualTypeOf<number | undefined>();
    expect(wrong.code).toBe('DRAWDOWN_POOL_EXHAUSTED');
  });

  it('lists the request-failed code in the table and no code that is never raised', () => {
    expect(ErrorCodes.REQUEST_FAILED).toBe('DRAWDOWN_REQUEST_FAILED');
    expect(Object.keys(ErrorCodes)).not.toContain('HOLD_MISMATCH');
  });
});

describe('DrawdownError across two copies of core', () => {
  // A second copy of the module, as when two versions of @drawdown/core are installed side by side:
  // its class is a different object, so only the brand can tell its errors apart from any Error.
  async function secondCopy(): Promise<typeof import('../src/errors.js')> {
    const { mkdtemp, copyFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { pathToFileURL } = await import('node:url');
    const dir = await mkdtemp(join(tmpdir(), 'drawdown-core-copy-'));
    for (const file of ['errors.ts', 'nanos.ts']) {
      await copyFile(new URL(`../src/${file}`, import.meta.url), join(dir, file));
    }
    return import(pathToFileURL(join(dir, 'errors.ts')).href);
  }

  it('recognises an error from the other copy with instanceof and isDrawdownError, both ways', async () => {
    const other = await secondCopy();
    expect(other.DrawdownError).not.toBe(DrawdownError);
    const theirs = new other.DrawdownError(ErrorCodes.POOL_EXHAUSTED, 'trial used', {
      data: { poolId: 'trial', limit: 'trial budget' },
    });
    const ours = new DrawdownError(ErrorCodes.HUB_CLOSED, 'closed');
    expect(theirs instanceof DrawdownError).toBe(true);
    expect(isDrawdownError(theirs, ErrorCodes.POOL_EXHAUSTED)).toBe(true);
    expect(ours instanceof other.DrawdownError).toBe(true);
    expect(other.isDrawdownError(ours, ErrorCodes.HUB_CLOSED)).toBe(true);
  });

  it('does not take a plain error, an error-shaped object or a look-alike class for one', async () => {
    class LookAlike extends Error {
      code = 'DRAWDOWN_POOL_EXHAUSTED';
      data = {};
    }
    expect(new LookAlike('x') instanceof DrawdownError).toBe(false);
    expect(isDrawdownError({ name: 'DrawdownError', code: 'DRAWDOWN_HUB_CLOSED', message: 'x' })).toBe(false);
    expect(isDrawdownError(null)).toBe(false);
    expect(isDrawdownError(new Error('plain'))).toBe(false);
  });
});
