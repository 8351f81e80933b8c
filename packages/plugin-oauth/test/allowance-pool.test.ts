import {
  apiKey,
  budget,
  createHub,
  isDrawdownError,
  memoryStore,
  silentLogger,
  usd,
  type DrawdownEvents,
  type Hub,
  type LimitSignal,
} from '@drawdown/core';
import { manualClock, type ManualClock } from '@drawdown/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { allowanceStateKey, delegated, planAllowance } from '../src/index.js';

const ZONE = 'America/Los_Angeles';
const START = '2026-11-23T12:00:00Z'; // 4am in Los Angeles
const hubs: Hub[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.close();
});

async function planHub(clock: ManualClock, store = memoryStore(), warnAt?: number) {
  const hub = await createHub({
    store,
    clock,
    timeZone: ZONE,
    logger: silentLogger,
    plugins: [
      delegated({ id: 'claude-login' }),
      planAllowance({ id: 'plan', ...(warnAt !== undefined && { warnAt }) }),
    ],
  });
  hubs.push(hub);
  const seen: Array<{ event: string; payload: unknown }> = [];
  for (const event of ['pool.low', 'pool.exhausted', 'pool.reset'] as const)
    hub.on(event, (payload) => void seen.push({ event, payload }));
  return { hub, pool: hub.pool('plan'), seen };
}

const headers = (fields: Record<string, string | number>, at: number): LimitSignal => ({
  source: 'headers',
  headers: Object.fromEntries(Object.entries(fields).map(([k, v]) => [`anthropic-ratelimit-unified-${k}`, String(v)])),
  at,
});
const seconds = (iso: string): number => Date.parse(iso) / 1000;

describe('plan-allowance pool', () => {
  it('says nothing is known before the first signal, and admits requests', async () => {
    const clock = manualClock(START);
    const { pool } = await planHub(clock);
    expect(await pool.status()).toMatchObject({
      kind: 'allowance',
      state: 'available',
      summary: 'plan allowance: no plan limits reported yet',
    });
    await expect(pool.reserve({ key: 'r1', amount: usd('5') })).resolves.toMatchObject({ amount: usd('5') });
  });

  it('reports usage of the binding window with its reset time', async () => {
    const clock = manualClock(START);
    const { pool } = await planHub(clock);
    await pool.observe!(
      headers(
        {
          status: 'allowed',
          'representative-claim': 'five_hour',
          '5h-utilization': '0.42',
          '5h-reset': seconds('2026-11-23T23:00:00Z'),
        },
        clock.now(),
      ),
    );
    const status = await pool.status();
    expect(status).toMatchObject({
      state: 'available',
      utilization: 0.42,
      resetsAt: Date.parse('2026-11-23T23:00:00Z'),
    });
    expect(status.summary).toBe(`42% of your session limit used · resets 3pm (${ZONE})`);
  });

  it('warns at 90% of the session limit the way Claude Code words it, and announces pool.low once', async () => {
    const clock = manualClock(START);
    const { pool, seen } = await planHub(clock);
    const signal = headers(
      {
        status: 'allowed_warning',
        'representative-claim': 'five_hour',
        '5h-utilization': '0.9',
        '5h-reset': seconds('2026-11-23T23:00:00Z'),
        '5h-surpassed-threshold': '0.9',
      },
      clock.now(),
    );
    await pool.observe!(signal);
    await pool.observe!({ ...signal, at: clock.now() + 1 });
    expect((await pool.status()).state).toBe('low');
    const low = seen.filter((e) => e.event === 'pool.low');
    expect(low).toHaveLength(1);
    expect((low[0]!.payload as DrawdownEvents['pool.low']).message).toBe(
      `You've used 90% of your session limit · resets 3pm (${ZONE})`,
    );
  });

  it('counts as low from warnAt even before the server warns', async () => {
    const clock = manualClock(START);
    const { pool } = await planHub(clock, memoryStore(), 0.5);
    await pool.observe!(
      headers(
        {
          status: 'allowed',
          'representative-claim': 'seven_day',
          '7d-utilization': '0.61',
          '7d-reset': seconds('2026-11-28T17:00:00Z'),
        },
        clock.now(),
      ),
    );
    expect(await pool.status()).toMatchObject({
      state: 'low',
      summary: `You've used 61% of your weekly limit · resets Nov 28, 9am (${ZONE})`,
    });
  });

  it('is exhausted when the weekly limit is hit, refuses reservations with the reset time, and pays again after the reset', async () => {
    const clock = manualClock(START);
    const { pool, seen } = await planHub(clock);
    const reset = Date.parse('2026-11-28T17:00:00Z');
    await pool.observe!(
      headers(
        {
          status: 'rejected',
          reset: reset / 1000,
          'representative-claim': 'seven_day',
          '7d-utilization': '1',
          '5h-utilization': '0.2',
        },
        clock.now(),
      ),
    );

    const status = await pool.status();
    expect(status).toMatchObject({ state: 'exhausted', reason: 'plan limit reached', resetsAt: reset });
    expect(status.summary).toBe(`You've hit your weekly limit · resets Nov 28, 9am (${ZONE})`);
    const error = await pool.reserve({ key: 'r1', amount: usd('1') }).catch((e: unknown) => e);
    expect(isDrawdownError(error, 'DRAWDOWN_POOL_EXHAUSTED')).toBe(true);
    expect((error as { data: Record<string, unknown> }).data).toMatchObject({
      poolId: 'plan',
      limit: 'seven_day',
      resetsAt: reset,
    });
    expect(seen.find((e) => e.event === 'pool.exhausted')?.payload).toMatchObject({ poolId: 'plan', resetsAt: reset });

    clock.set(reset + 1);
    expect((await pool.status()).state).toBe('available');
    await expect(pool.reserve({ key: 'r2', amount: usd('1') })).resolves.toBeTruthy();
  });

  it('learns the same from Agent SDK rate_limit_events, including running out of extra usage', async () => {
    const clock = manualClock(START);
    const { pool } = await planHub(clock);
    const reset = Date.parse('2026-11-23T23:00:00Z');
    await pool.observe!({
      source: 'agent-event',
      rateLimitInfo: { status: 'rejected', rateLimitType: 'five_hour', resetsAt: reset / 1000, utilization: 1 },
      at: clock.now(),
    });
    expect(await pool.status()).toMatchObject({
      state: 'exhausted',
      summary: `You've hit your session limit · resets 3pm (${ZONE})`,
    });

    await pool.observe!({
      source: 'agent-event',
      rateLimitInfo: {
        status: 'rejected',
        rateLimitType: 'overage',
        resetsAt: reset / 1000,
        overageStatus: 'rejected',
        overageDisabledReason: 'out_of_credits',
      },
      at: clock.now() + 1,
    });
    const status = await pool.status();
    expect(status.state).toBe('exhausted');
    expect(status.details).toMatchObject({ overageDisabledReason: 'out_of_credits' });
  });

  it('lifts a refusal when a later response was admitted', async () => {
    const clock = manualClock(START);
    const { pool } = await planHub(clock);
    await pool.observe!({
      source: 'agent-event',
      rateLimitInfo: { status: 'rejected', rateLimitType: 'five_hour', resetsAt: seconds('2026-11-23T23:00:00Z') },
      at: clock.now(),
    });
    await pool.observe!(
      headers({ status: 'allowed', 'representative-claim': 'seven_day', '7d-utilization': '0.3' }, clock.now() + 1000),
    );
    expect((await pool.status()).state).toBe('available');
  });

  it('keeps its windows in the store, so another process using the same store sees them', async () => {
    const clock = manualClock(START);
    const store = memoryStore();
    const first = await planHub(clock, store);
    const second = await planHub(clock, store);
    await first.pool.observe!(
      headers(
        { status: 'rejected', reset: seconds('2026-11-23T23:00:00Z'), 'representative-claim': 'five_hour' },
        clock.now(),
      ),
    );
    expect((await second.pool.status()).state).toBe('exhausted');
    expect(await store.getState(allowanceStateKey('plan'))).toMatchObject({
      windows: { five_hour: { status: 'rejected' } },
    });
  });

  it('announces pool.low and pool.exhausted once per crossing across two processes, however often they observe or refresh', async () => {
    const clock = manualClock(START);
    const store = memoryStore();
    const first = await planHub(clock, store);
    const second = await planHub(clock, store);
    const reset = Date.parse('2026-11-23T23:00:00Z');
    const session = (utilization: number, status: string, at: number, resetAt = reset) =>
      headers(
        {
          status,
          'representative-claim': 'five_hour',
          '5h-utilization': String(utilization),
          '5h-reset': resetAt / 1000,
          ...(utilization >= 0.9 && { '5h-surpassed-threshold': '0.9' }),
        },
        at,
      );
    const refreshBoth = async () => {
      await first.hub.refreshPools();
      await second.hub.refreshPools();
    };
    // Both processes see the response that carried the plan over 90% at once.
    await Promise.all([
      first.pool.observe!(session(0.9, 'allowed_warning', clock.now())),
      second.pool.observe!(session(0.9, 'allowed_warning', clock.now() + 1)),
    ]);
    await refreshBoth();
    await second.pool.observe!(session(0.95, 'allowed_warning', clock.now() + 2));
    await refreshBoth();
    await Promise.all([
      first.pool.observe!(session(1, 'rejected', clock.now() + 3)),
      second.pool.observe!(session(1, 'rejected', clock.now() + 4)),
    ]);
    await refreshBoth();
    await first.pool.observe!(session(1, 'rejected', clock.now() + 5));
    await refreshBoth();
    const alerts = (event: string) =>
      [...first.seen, ...second.seen].filter((e) => e.event === event).map((e) => e.payload);
    expect(alerts('pool.low')).toEqual([
      expect.objectContaining({
        poolId: 'plan',
        message: `You've used 90% of your session limit · resets 3pm (${ZONE})`,
        status: expect.objectContaining({ state: 'low' }),
      }),
    ]);
    expect(alerts('pool.exhausted')).toEqual([
      expect.objectContaining({
        poolId: 'plan',
        reason: 'plan limit reached',
        message: `plan limit reached; resets at 3pm (${ZONE})`,
        resetsAt: reset,
        status: expect.objectContaining({ state: 'exhausted' }),
      }),
    ]);

    // The next session window is a new crossing, announced again.
    clock.set(reset + 1);
    await refreshBoth();
    await second.pool.observe!(session(0.92, 'allowed_warning', clock.now(), reset + 5 * 3_600_000));
    await refreshBoth();
    expect(alerts('pool.low')).toHaveLength(2);
    expect(alerts('pool.exhausted')).toHaveLength(1);
  });

  it('ignores an error reply without plan headers (a short rate limit is not the plan)', async () => {
    const clock = manualClock(START);
    const { pool } = await planHub(clock);
    await pool.observe!({
      source: 'error',
      status: 429,
      errorType: 'rate_limit_error',
      message: 'slow down',
      at: clock.now(),
    });
    expect((await pool.status()).state).toBe('available');
  });

  it('records the API-equivalent value of plan usage in the ledger, exactly once per request', async () => {
    const clock = manualClock(START);
    const { pool, hub } = await planHub(clock);
    await pool.reserve({ key: 'r1', amount: usd('0.5') });
    const cost = usd('0.0735');
    expect(await pool.settle({ key: 'r1', cost, meta: { model: 'claude-sonnet-4-5' } })).toEqual({
      status: 'settled',
      cost,
      overrun: 0,
    });
    expect((await pool.settle({ key: 'r1', cost })).status).toBe('duplicate');
    const status = await pool.status();
    expect(status.spent).toBe(cost);
    expect(status.details).toMatchObject({ apiEquivalentUsd: { month: '0.0735', lifetime: '0.0735' } });
    const rows = await hub.report({ fromDay: '2026-11-01', toDay: '2026-11-30', groupBy: ['pool'] });
    expect(rows).toEqual([expect.objectContaining({ pool: 'plan', cost, requests: 1 })]);
  });

  it('checks its options, naming the field', () => {
    expect(() => planAllowance({ warnAt: 1.5 })).toThrow(/option "warnAt"/);
    expect(() => planAllowance({ id: 'has space' })).toThrow(/option "id"/);
    expect(() => planAllowance({ label: ' ' })).toThrow(/option "label"/);
  });
});

describe('route: plan first, credits after it only with opt-in', () => {
  async function routeHub(clock: ManualClock) {
    const hub = await createHub({
      clock,
      timeZone: ZONE,
      logger: silentLogger,
      plugins: [
        delegated({ id: 'claude-login' }),
        planAllowance({ id: 'plan' }),
        apiKey({ id: 'credits-key', key: 'sk-ant-test-credits-key' }),
        budget({ id: 'credits', amount: '50' }),
      ],
      route: {
        entries: [
          { id: 'personal', strategy: 'claude-login', pool: 'plan' },
          { id: 'paid', strategy: 'credits-key', pool: 'credits', requiresOptIn: true },
        ],
      },
    });
    hubs.push(hub);
    return hub;
  }

  it('refuses with the reset time when not opted in, lets credits pay once opted in, and returns to the plan after the reset', async () => {
    const clock = manualClock(START);
    const hub = await routeHub(clock);
    const reset = Date.parse('2026-11-23T23:00:00Z');

    const first = await hub.begin({ requestId: 'before-limit', amount: usd('0.1') });
    expect(first.entry.id).toBe('personal');
    await first.settle({ cost: usd('0.05') });

    await hub.pool('plan').observe!(
      headers(
        { status: 'rejected', reset: reset / 1000, 'representative-claim': 'five_hour', '5h-utilization': '1' },
        clock.now(),
      ),
    );

    // Not opted in: refused, naming the plan limit and when it resets, in the hub's zone.
    const refused = await hub.begin({ requestId: 'refused', amount: usd('0.1') }).catch((e: unknown) => e);
    expect(isDrawdownError(refused, 'DRAWDOWN_ROUTE_EXHAUSTED')).toBe(true);
    expect((refused as Error).message).toContain(`personal: plan limit reached; resets at 3pm (${ZONE})`);
    expect((await hub.router.explain()).whenExhausted).toBeDefined();

    // Opted in: credits pay.
    await hub.router.optIn('paid');
    const paid = await hub.begin({ requestId: 'on-credits', amount: usd('0.1') });
    expect(paid.entry.id).toBe('paid');
    expect(paid.reason).toContain('plan limit reached');
    await paid.settle({ cost: usd('0.08') });
    expect((await hub.pool('credits').status()).spent).toBe(usd('0.08'));

    // After the reset the plan pays again, before credits.
    clock.set(reset + 1);
    const resets: unknown[] = [];
    hub.on('pool.reset', (payload) => void resets.push(payload));
    await hub.refreshPool('plan');
    expect(resets).toHaveLength(1);
    const back = await hub.begin({ requestId: 'after-reset', amount: usd('0.1') });
    expect(back.entry.id).toBe('personal');
    await back.release();
  });

  it('gives the delegated child an environment without the credits key', async () => {
    const clock = manualClock(START);
    const hub = await routeHub(clock);
    const env = hub.childEnv('personal', {
      PATH: '/usr/bin',
      ANTHROPIC_API_KEY: 'sk-ant-user-key',
      SOME_ALIAS: 'sk-ant-test-credits-key',
    });
    expect(env).toEqual({ PATH: '/usr/bin' });
  });
});
