import { describe, expect, it } from 'vitest';
import {
  calendarWindow,
  ledgerAccount,
  memoryStore,
  usd,
  type PluginContext,
  type ScopedCrossing,
  type SpendLevels,
} from '../src/index.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const dayKey = (now: number) => calendarWindow('day', now, 'UTC').key;
const monthKey = (now: number) => calendarWindow('month', now, 'UTC').key;

/** A plugin context over a memory store whose charges land in the day and month scopes. */
function context(): PluginContext {
  return {
    store: memoryStore(),
    clock: { now: () => T0 },
    timeZone: 'UTC',
    holdTtlMs: 60_000,
    placement: (at: number) => ({ scopes: [dayKey(at), monthKey(at)], day: '2026-11-23' }),
  } as Partial<PluginContext> as PluginContext;
}

describe('crossings declared to a ledger account', () => {
  it('reports the levels of several scopes from one settle, to announce() and to afterSettle', async () => {
    const announced: unknown[] = [];
    const seen: ScopedCrossing[][] = [];
    const month: SpendLevels = { scope: monthKey, levels: [usd('1'), usd('3')] };
    const day: SpendLevels = { scope: dayKey, levels: [usd('2')], announce: (c) => announced.push(c) };
    const absent: SpendLevels = { scope: () => undefined, levels: [1], announce: (c) => announced.push(c) };
    const account = ledgerAccount(context(), {
      id: 'p',
      crossings: [month, day, absent],
      afterSettle: async (_result, _now, crossed) => void seen.push([...crossed]),
    });
    const first = await account.settle({ key: 'a', cost: usd('0.5') });
    expect(first.announce).toBeUndefined();
    const second = await account.settle({ key: 'b', cost: usd('2') });
    second.announce?.();
    expect(seen[0]).toEqual([]);
    expect(seen[1]!.map(({ scope, level, index, spent }) => ({ scope, level, index, spent }))).toEqual([
      { scope: monthKey(T0), level: usd('1'), index: 0, spent: usd('2.5') },
      { scope: dayKey(T0), level: usd('2'), index: 0, spent: usd('2.5') },
    ]);
    expect(seen[1]!.map((c) => c.declaration)).toEqual([month, day]);
    // Only declarations with announce() are announced, with the crossing alone.
    expect(announced).toEqual([{ level: usd('2'), index: 0, spent: usd('2.5'), at: T0 }]);
    const retried = await account.settle({ key: 'b', cost: usd('2') });
    expect(retried.status).toBe('duplicate');
    expect(seen).toHaveLength(2);
  });

  it('reports a level reached exactly, and not again once the total is above it', async () => {
    const seen: number[] = [];
    const account = ledgerAccount(context(), {
      id: 'p',
      crossings: { scope: monthKey, levels: [usd('1')] },
      afterSettle: async (_result, _now, crossed) => void seen.push(crossed.length),
    });
    await account.settle({ key: 'a', cost: usd('1') });
    await account.settle({ key: 'b', cost: usd('1') });
    expect(seen).toEqual([1, 0]);
  });
});
