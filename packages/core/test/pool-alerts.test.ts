import { describe, expect, it } from 'vitest';
import {
  apiKey,
  budget,
  createHub,
  memoryStore,
  payAsYouGo,
  usd,
  type DrawdownEvents,
  type DrawdownPlugin,
  type Hub,
  type LimitSignal,
} from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { quiet } from './helpers.js';

type Alert =
  | { event: 'pool.low'; payload: DrawdownEvents['pool.low'] }
  | { event: 'pool.exhausted'; payload: DrawdownEvents['pool.exhausted'] };

/** Two hubs, as two processes, on one store and one clock; each records the alerts it announces. */
async function twoProcesses(pool: () => DrawdownPlugin) {
  const store = memoryStore();
  const clock = manualClock('2026-11-23T12:00:00Z');
  const processes = await Promise.all(
    [0, 1].map(async () => {
      const hub = await createHub({
        ...quiet,
        store,
        clock,
        plugins: [apiKey({ id: 'key', key: 'sk-test' }), pool()],
        route: { entries: [{ id: 'main', strategy: 'key', pool: 'main' }] },
      });
      const alerts: Alert[] = [];
      hub.on('pool.low', (payload) => void alerts.push({ event: 'pool.low', payload }));
      hub.on('pool.exhausted', (payload) => void alerts.push({ event: 'pool.exhausted', payload }));
      return { hub, alerts };
    }),
  );
  const [a, b] = processes as [(typeof processes)[0], (typeof processes)[0]];
  let requests = 0;
  /** Records a cost without a hold, so spend can go on above a cap. */
  const spend = (hub: Hub, cost: string) => hub.charge({ requestId: `r${++requests}`, entry: 'main', cost: usd(cost) });
  const refreshBoth = async () => {
    await a.hub.refreshPools();
    await b.hub.refreshPools();
  };
  return { a, b, clock, spend, refreshBoth, close: () => Promise.all([a.hub.close(), b.hub.close()]) };
}

const summary = ({ event, payload }: Alert) =>
  event === 'pool.low'
    ? { event, poolId: payload.poolId, message: payload.message, state: payload.status.state }
    : {
        event,
        poolId: payload.poolId,
        reason: payload.reason,
        message: payload.message,
        resetsAt: payload.resetsAt,
        state: payload.status.state,
      };

describe('pool.low and pool.exhausted of the built-in pools', () => {
  it('a budget announces each crossing once across two processes, however often they refresh or spend above it', async () => {
    const { a, b, spend, refreshBoth, close } = await twoProcesses(() =>
      budget({ id: 'main', amount: '1', period: 'day', label: 'daily budget' }),
    );
    await spend(a.hub, '0.85');
    await refreshBoth();
    await spend(b.hub, '0.05');
    await refreshBoth();
    await spend(a.hub, '0.10');
    await refreshBoth();
    await spend(b.hub, '0.20');
    await refreshBoth();
    expect(a.alerts.map(summary)).toEqual([
      {
        event: 'pool.low',
        poolId: 'main',
        message: '$0.15 of $1.00 daily budget left; resets Nov 24, 12am (UTC)',
        state: 'low',
      },
      {
        event: 'pool.exhausted',
        poolId: 'main',
        reason: 'daily budget of $1.00 used',
        message: 'daily budget of $1.00 used; resets at Nov 24, 12am (UTC)',
        resetsAt: Date.parse('2026-11-24T00:00:00Z'),
        state: 'exhausted',
      },
    ]);
    expect(b.alerts).toEqual([]);
    await close();
  });

  it('a budget crossed from below its low level to its cap by one settle announces only pool.exhausted', async () => {
    const { a, b, spend, refreshBoth, close } = await twoProcesses(() => budget({ id: 'main', amount: '1' }));
    await spend(b.hub, '1.5');
    await refreshBoth();
    expect(a.alerts).toEqual([]);
    expect(b.alerts.map(summary)).toEqual([
      {
        event: 'pool.exhausted',
        poolId: 'main',
        reason: 'main budget of $1.00 used',
        message: 'main budget of $1.00 used',
        resetsAt: undefined,
        state: 'exhausted',
      },
    ]);
    await close();
  });

  it('a pay-as-you-go key announces reaching its monthly cap once across two processes', async () => {
    const { a, b, spend, refreshBoth, close } = await twoProcesses(() =>
      payAsYouGo({ id: 'main', monthlyCap: '10', cooldownMs: 60_000 }),
    );
    await spend(a.hub, '9');
    await refreshBoth();
    await spend(b.hub, '1.5');
    await refreshBoth();
    await spend(a.hub, '2');
    await refreshBoth();
    expect(a.alerts).toEqual([]);
    expect(b.alerts.map(summary)).toEqual([
      {
        event: 'pool.exhausted',
        poolId: 'main',
        reason: 'monthly cap of $10.00 reached',
        message: 'monthly cap of $10.00 reached; resets at Dec 1, 12am (UTC)',
        resetsAt: Date.parse('2026-12-01T00:00:00Z'),
        state: 'exhausted',
      },
    ]);
    await close();
  });

  it('a pay-as-you-go key refused for lack of funds in two processes at once announces it once, and again after the cool-down', async () => {
    const { a, b, clock, refreshBoth, close } = await twoProcesses(() =>
      payAsYouGo({ id: 'main', cooldownMs: 60_000 }),
    );
    const refusal = (): LimitSignal => ({
      source: 'error',
      status: 402,
      errorType: 'billing_error',
      message: 'insufficient funds',
      at: clock.now(),
    });
    await Promise.all([a.hub.pool('main').observe!(refusal()), b.hub.pool('main').observe!(refusal())]);
    await refreshBoth();
    // A further refusal while the pool is held back is the same exhaustion.
    await b.hub.pool('main').observe!(refusal());
    await refreshBoth();
    const all = [...a.alerts, ...b.alerts].map(summary);
    expect(all).toEqual([
      {
        event: 'pool.exhausted',
        poolId: 'main',
        reason: 'the API key’s organisation is out of funds',
        message: 'the API key’s organisation is out of funds; resets at 12:01pm (UTC)',
        resetsAt: clock.now() + 60_000,
        state: 'exhausted',
      },
    ]);
    clock.advance(60_001);
    await refreshBoth();
    await b.hub.pool('main').observe!(refusal());
    await refreshBoth();
    expect([...a.alerts, ...b.alerts]).toHaveLength(2);
    await close();
  });

  it('a pay-as-you-go key already exhausted by one cause does not announce the other', async () => {
    const { a, b, clock, spend, close } = await twoProcesses(() =>
      payAsYouGo({ id: 'main', monthlyCap: '10', cooldownMs: 60_000 }),
    );
    const refusal: LimitSignal = { source: 'error', status: 402, at: clock.now() };
    await a.hub.pool('main').observe!(refusal);
    await spend(b.hub, '12'); // reported after the refusal: the cap is reached while the key rests
    clock.advance(60_001);
    await spend(b.hub, '1');
    await a.hub.pool('main').observe!({ ...refusal, at: clock.now() }); // refused while over the cap
    expect([...a.alerts, ...b.alerts].map((e) => e.event === 'pool.exhausted' && e.payload.reason)).toEqual([
      'the API key’s organisation is out of funds',
    ]);
    await close();
  });
});
