import { describe, expect, it } from 'vitest';
import { claimObservedCrossing, crossedLevels } from '../src/pools/crossings.js';
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
    const statuses: unknown[] = [];
    const day: SpendLevels = {
      scope: dayKey,
      levels: [usd('2')],
      announce: (c, status) => {
        announced.push(c);
        statuses.push(status);
      },
    };
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
    // Only declarations with announce() are announced, with the crossing and the status after the settle.
    expect(announced).toEqual([{ level: usd('2'), index: 0, spent: usd('2.5'), at: T0 }]);
    expect(statuses).toEqual([expect.objectContaining({ id: 'p', spent: usd('2.5') })]);
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

describe('the crossing rule', () => {
  it('crosses a level reached exactly, every level passed at once, and none already passed or not reached', () => {
    expect(crossedLevels([1, 2], 0, 1)).toEqual([0]);
    expect(crossedLevels([1, 2], 0, 5)).toEqual([0, 1]);
    expect(crossedLevels([1, 2], 1, 1.5)).toEqual([]);
    expect(crossedLevels([1, 2], 2, 0)).toEqual([]);
  });

  it('lets one of the processes that read the same stored value claim its crossing, and a later value its own', async () => {
    const store = memoryStore();
    const claim = (from: unknown) => claimObservedCrossing(store, { name: 'standing:plan:low', from, now: T0 });
    const stored = { windows: { five_hour: { utilization: 0.5 } }, updatedAt: T0 };
    expect(await Promise.all([claim(stored), claim({ ...stored }), claim(stored)])).toEqual([true, false, false]);
    expect(await claim({ ...stored, updatedAt: T0 + 1 })).toBe(true);
    expect(await claim(undefined)).toBe(true);
    expect(await claim(undefined)).toBe(false);
  });
});
