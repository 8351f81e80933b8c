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
