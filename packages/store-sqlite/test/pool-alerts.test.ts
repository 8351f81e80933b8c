import { apiKey, budget, createHub, silentLogger, usd, type Hub } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { expect, it } from 'vitest';
import { sqliteStore } from '../src/index.js';
import { ledgerFile, tempDir } from './helpers.js';

const dir = tempDir();

it('announces a budget going low and then exhausted once, although both hubs on the file see each settle', async () => {
  const file = ledgerFile(dir);
  const clock = manualClock('2026-11-23T12:00:00Z');
  const open = async () => {
    const hub = await createHub({
      store: sqliteStore({ file, watchIntervalMs: 10 }),
      clock,
      logger: silentLogger,
      plugins: [apiKey({ id: 'key', key: 'sk-test' }), budget({ id: 'trial', amount: '10' })],
      route: { entries: [{ id: 'trial', strategy: 'key', pool: 'trial' }] },
    });
    const alerts: string[] = [];
    hub.on('pool.low', (e) => void alerts.push(`low: ${e.message}`));
    hub.on('pool.exhausted', (e) => void alerts.push(`exhausted: ${e.message}`));
    const remote: string[] = [];
    hub.on('ledger.changed', (e) => void (e.origin === 'remote' && e.kind === 'settle' && remote.push(e.kind)));
    return { hub, alerts, remote };
  };
  const a = await open();
  const b = await open();
  /** Settles in `from`, then waits until the other hub has seen it and refreshed the pool itself. */
  const settle = async (from: Hub, other: { hub: Hub; remote: string[] }, cost: string) => {
    const seen = other.remote.length;
    await (await from.begin({ amount: usd(cost) })).settle({ cost: usd(cost) });
    while (other.remote.length === seen) await new Promise((resolve) => setTimeout(resolve, 5));
    await other.hub.refreshPools();
  };
  try {
    await settle(a.hub, b, '8.5');
    await settle(b.hub, a, '0.5');
    await settle(a.hub, b, '1');
    expect(a.alerts).toEqual(['low: $1.50 of $10.00 trial budget left', 'exhausted: trial budget of $10.00 used']);
    expect(b.alerts).toEqual([]);
  } finally {
    await a.hub.close();
    await b.hub.close();
    await a.hub.store.close();
    await b.hub.store.close();
  }
}, 30_000);
