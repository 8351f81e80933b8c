import { apiKey, createHub, memoryStore, silentLogger, usd, type DrawdownEvents } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { credits, manualProvider } from '../src/index.js';
import { wallet, type Wallet } from './helpers.js';

const spend = async (w: Wallet, key: string, amount: string, cost = amount): Promise<void> => {
  await w.pool.reserve({ key, amount: usd(amount) });
  await w.pool.settle({ key, cost: usd(cost) });
};

describe('credits alerts', () => {
  it('announces each share of the monthly spend limit once, and the limit itself as exhausted', async () => {
    const manual = manualProvider();
    const w = await wallet({ provider: manual, monthlyLimit: '100' });
    await manual.grant({ amount: '500' });
    await spend(w, 'a', '40');
    expect(w.of('pool.low')).toHaveLength(0);
    await spend(w, 'b', '15');
    await spend(w, 'c', '1');
    await spend(w, 'd', '30');
    await spend(w, 'e', '13', '14');
    expect(w.of('pool.low').map((e) => e.message)).toEqual([
      'credits: 50% of the $100.00 monthly spend limit used',
      'credits: 80% of the $100.00 monthly spend limit used',
      'credits: 95% of the $100.00 monthly spend limit used',
    ]);
    expect(w.of('pool.exhausted')).toEqual([
      expect.objectContaining({
        poolId: 'credits',
        reason: 'credits: the monthly spend limit of $100.00 is reached',
        resetsAt: Date.parse('2026-12-01T00:00:00Z'),
        message: 'credits: the monthly spend limit of $100.00 is reached; it resets Dec 1, 12am (UTC)',
      }),
    ]);
    expect(w.of('pool.exhausted')[0]!.status.state).toBe('exhausted');
  });

  it('announces a balance falling under each configured amount once per crossing, again after funds were added', async () => {
    const manual = manualProvider();
    const w = await wallet({ provider: manual, alerts: { balanceBelow: ['5', '10'] } });
    await manual.grant({ amount: '20' });
    await spend(w, 'a', '11');
    await spend(w, 'b', '1');
    await spend(w, 'c', '4');
    await spend(w, 'd', '4');
    expect(w.of('pool.low').map((e) => e.message)).toEqual([
      'credits: balance $9.00 fell under $10.00',
      'credits: balance $4.00 fell under $5.00',
    ]);
    expect(w.of('pool.exhausted').map((e) => e.message)).toEqual([
      'credits: the credit balance is used up ($0.00); add funds',
    ]);
    await manual.grant({ amount: '20' });
    await spend(w, 'e', '12');
    expect(w.of('pool.low')).toHaveLength(3);
  });

  it('announces each crossing in exactly one of several processes sharing the store', async () => {
    const store = memoryStore();
    const clock = manualClock();
    const manual = manualProvider();
    const options = { monthlyLimit: '10', alerts: { balanceBelow: ['15'] } };
    const a = await wallet({ ...options, provider: manual }, { store, clock });
    const b = await wallet({ ...options, provider: manualProvider() }, { store, clock });
    await manual.grant({ amount: '20' });
    const holds = Array.from({ length: 30 }, (_, i) => ({ w: i % 2 ? a : b, key: `k${i}` }));
    for (const { w, key } of holds) await w.pool.reserve({ key, amount: usd('0.30') });
    await Promise.all(holds.map(({ w, key }) => w.pool.settle({ key, cost: usd('0.35') })));
    const lows = [...a.of('pool.low'), ...b.of('pool.low')].map((e) => e.message).sort();
    expect(lows).toEqual([
      'credits: 50% of the $10.00 monthly spend limit used',
      'credits: 80% of the $10.00 monthly spend limit used',
      'credits: 95% of the $10.00 monthly spend limit used',
      expect.stringMatching(/^credits: balance \$[\d.]+ fell under \$15\.00$/),
    ]);
    expect([...a.of('pool.exhausted'), ...b.of('pool.exhausted')].map((e) => e.reason)).toEqual([
      'credits: the monthly spend limit of $10.00 is reached',
    ]);
  });

  it('is not announced a second time by the hub when requests are routed to the wallet', async () => {
    const manual = manualProvider();
    const hub = await createHub({
      clock: manualClock(),
      logger: silentLogger,
      plugins: [apiKey({ key: 'sk-test-bundled' }), credits({ provider: manual, monthlyLimit: '1' })],
      route: { entries: [{ id: 'credits', strategy: 'apiKey', pool: 'credits', requiresOptIn: false }] },
    });
    const seen: Array<keyof DrawdownEvents> = [];
    hub.on('pool.low', () => void seen.push('pool.low'));
    hub.on('pool.exhausted', () => void seen.push('pool.exhausted'));
    hub.on('pool.reset', () => void seen.push('pool.reset'));
    await manual.grant({ amount: '10' });
    for (let i = 0; i < 4; i++) {
      const lease = await hub.begin({ amount: usd('0.25') });
      await lease.settle({ cost: usd('0.25') });
    }
    // Funds lift the empty wallet (pool.reset); then each share once, and the limit once.
    expect(seen).toEqual(['pool.reset', 'pool.low', 'pool.low', 'pool.low', 'pool.exhausted']);
    await expect(hub.begin({ amount: usd('0.01') })).rejects.toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED' });
    await hub.close();
  });
});
