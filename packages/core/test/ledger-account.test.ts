import { describe, expect, it } from 'vitest';
import {
  calendarWindow,
  isDrawdownError,
  ledgerAccount,
  memoryStore,
  shareOf,
  usd,
  ErrorCodes,
  type AccountLimit,
  type CapLimit,
  type LedgerAccountSpec,
  type PluginContext,
} from '../src/index.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');

/** The parts of a plugin context the helper uses, over a memory store and a clock the test moves. */
function context() {
  let now = T0;
  const store = memoryStore();
  const ctx = {
    store,
    clock: { now: () => now },
    timeZone: 'UTC',
    holdTtlMs: 60_000,
    placement: (at: number) => ({
      scopes: [calendarWindow('day', at, 'UTC').key],
      day: new Date(at).toISOString().slice(0, 10),
    }),
  } as Partial<PluginContext> as PluginContext;
  return { ctx, store, advance: (ms: number) => (now += ms) };
}

const dailyCap = (now: number): AccountLimit & CapLimit => {
  const day = calendarWindow('day', now, 'UTC');
  return { kind: 'cap', id: 'daily-cap', name: 'daily cap', scope: day.key, cap: usd('1'), resetsAt: day.end };
};

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDrawdownError(error, ErrorCodes.POOL_EXHAUSTED))
    throw new Error(`expected a pool refusal, got ${String(error)}`);
  return error;
}

describe('ledgerAccount', () => {
  it('holds with the context TTL and maps a refusal to POOL_EXHAUSTED with the limit id, cap and reset', async () => {
    const { ctx } = context();
    const account = ledgerAccount(ctx, {
      id: 'p',
      limits: (now) => [dailyCap(now)],
      refusal: ({ limit, available }) => `${limit.name}: ${available} left`,
    });
    expect(await account.reserve({ key: 'a', amount: usd('0.75') })).toEqual({
      key: 'a',
      amount: usd('0.75'),
      expiresAt: T0 + 60_000,
    });
    const error = await refusal(account.reserve({ key: 'b', amount: usd('0.5') }));
    expect(error.message).toBe(`daily cap: ${usd('0.25')} left`);
    expect(error.data).toEqual({
      poolId: 'p',
      limit: 'daily cap',
      limitId: 'daily-cap',
      available: usd('0.25'),
      requested: usd('0.5'),
      cap: usd('1'),
      resetsAt: Date.parse('2026-11-24T00:00:00Z'),
    });
  });

  it('refuses through a gate without asking the store', async () => {
    const { ctx, store } = context();
    const account = ledgerAccount(ctx, {
      id: 'p',
      gate: () => ({ message: 'closed for now', limitId: 'five_hour', resetsAt: T0 + 5 }),
    });
    const error = await refusal(account.reserve({ key: 'a', amount: 1 }));
    expect(error.data).toEqual({
      poolId: 'p',
      limit: 'five_hour',
      limitId: 'five_hour',
      available: 0,
      requested: 1,
      resetsAt: T0 + 5,
    });
    expect(await store.entries({ account: 'p' })).toEqual([]);
  });

  it('reports the overrun and announces each crossed level once, from the settle that crossed it', async () => {
    const { ctx } = context();
    const announced: unknown[] = [];
    const spec: LedgerAccountSpec = {
      id: 'p',
      crossings: {
        scope: () => 'lifetime',
        levels: [shareOf(usd('1'), 0.5), shareOf(usd('1'), 0.8)],
        announce: (c) => announced.push(c),
      },
    };
    const account = ledgerAccount(ctx, spec);
    await account.reserve({ key: 'a', amount: usd('0.25') });
    const first = await account.settle({ key: 'a', cost: usd('0.4') });
    expect(first).toEqual({ status: 'settled', cost: usd('0.4'), overrun: usd('0.15') });
    const second = await account.settle({ key: 'b', cost: usd('0.45') });
    second.announce?.();
    expect(announced).toEqual([
      { level: usd('0.5'), index: 0, spent: usd('0.85'), at: T0 },
      { level: usd('0.8'), index: 1, spent: usd('0.85'), at: T0 },
    ]);
    const retried = await account.settle({ key: 'b', cost: usd('0.45') });
    expect(retried.status).toBe('duplicate');
    expect(retried.announce).toBeUndefined();
  });

  it('puts a crossing level at the exact share, rounded up to a whole nanodollar', () => {
    expect(shareOf(10, 0.5)).toBe(5);
    expect(shareOf(10, 0.33)).toBe(4);
    expect(shareOf(usd('10'), 0.8)).toBe(usd('8'));
  });

  it('gives a status from the first cap: low from the lowest crossing level, exhausted at the cap, in its words', async () => {
    const { ctx } = context();
    const account = ledgerAccount(ctx, {
      id: 'p',
      kind: 'invoice',
      limits: (now) => [dailyCap(now)],
      crossings: { scope: (now) => calendarWindow('day', now, 'UTC').key, levels: [shareOf(usd('1'), 0.8)] },
      wording: ({ spent, state }) => ({ summary: `${spent} used (${state})`, reason: 'line used up' }),
    });
    const spend = async (key: string, cost: string) => {
      await account.reserve({ key, amount: usd(cost) });
      await account.settle({ key, cost: usd(cost) });
    };
    await account.reserve({ key: 'open', amount: usd('0.05') });
    expect(await account.status()).toMatchObject({
      id: 'p',
      kind: 'invoice',
      state: 'available',
      spent: 0,
      held: usd('0.05'),
      remaining: usd('0.95'),
      limit: usd('1'),
      utilization: 0,
      resetsAt: calendarWindow('day', T0, 'UTC').end,
    });
    await account.release('open');
    await spend('a', '0.80');
    expect(await account.status()).toMatchObject({
      state: 'low',
      spent: usd('0.8'),
      summary: `${usd('0.8')} used (low)`,
    });
    expect((await account.status()).reason).toBeUndefined();
    await spend('b', '0.20');
    expect(await account.status()).toMatchObject({
      state: 'exhausted',
      remaining: 0,
      utilization: 1,
      reason: 'line used up',
    });
  });

  it('says what it spent of which limit when the pool gives no words', async () => {
    const { ctx } = context();
    const account = ledgerAccount(ctx, { id: 'p', limits: (now) => [dailyCap(now)] });
    await account.reserve({ key: 'a', amount: usd('1') });
    await account.settle({ key: 'a', cost: usd('1') });
    expect(await account.status()).toMatchObject({
      kind: 'budget',
      state: 'exhausted',
      summary: '$1.00 of the $1.00 daily cap used',
      reason: 'the $1.00 daily cap is used up',
    });
  });
});
