import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, createHub, memoryStore, silentLogger, type Hub } from '@drawdown/core';
import { credits, manualProvider, type CreditsPool } from '@drawdown/plugin-credits';
import { serveHttp, type HttpHandle } from '../src/index.js';
import type { PoolView } from '../src/schemas.js';
import { SECRET_KEY } from './fixtures/hub.js';
import { callJson, httpTransport, newClient } from './helpers.js';

/**
 * The real credits plugin (not the test wallet) reports auto-reload as `{ state, policy }` with the
 * policy already in decimal USD; pool_status and set_auto_reload must read that shape.
 */
describe('pool_status and set_auto_reload on a real credits pool', () => {
  let hub: Hub;
  let http: HttpHandle;
  beforeAll(async () => {
    hub = await createHub({
      store: memoryStore(),
      logger: silentLogger,
      plugins: [
        apiKey({ id: 'own', key: SECRET_KEY }),
        credits({
          id: 'reloading',
          provider: manualProvider(),
          autoReload: { threshold: '5', amount: '20', monthlyLimit: '100' },
        }),
        credits({ id: 'plain', provider: manualProvider() }),
      ],
      route: {
        entries: [
          { id: 'reloading', strategy: 'own', pool: 'reloading', optedIn: true },
          { id: 'plain', strategy: 'own', pool: 'plain', optedIn: true },
        ],
      },
    });
    await (hub.pool('reloading') as CreditsPool).addFunds({ amount: 25_000_000_000, idempotencyKey: 'seed-reloading' });
    http = await serveHttp({ hub, writes: true });
  });
  afterAll(async () => {
    await http?.close();
    await hub?.close();
  });

  it('shows the configured policy and its state, and null where auto-reload is off', async () => {
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(http.url));
    const { pools } = await callJson(client, 'pool_status');
    const [reloading, plain] = pools as [PoolView, PoolView];
    expect(reloading).toMatchObject({ id: 'reloading', kind: 'credits', remainingUsd: '25' });
    expect(reloading.autoReload).toEqual({
      state: 'armed',
      thresholdUsd: '5',
      amountUsd: '20',
      monthlyLimitUsd: '100',
    });
    expect(plain.autoReload).toBeNull();
    // The rest of the plugin's auto-reload record (failures, this month's reloads) stays in details.
    expect(reloading.details?.autoReload).toMatchObject({ failures: 0, reloadedThisMonthUsd: '0' });
    expect(reloading.details?.autoReload).not.toHaveProperty('policy');
    await client.close();
  });

  it('set_auto_reload answers with the policy the pool now reports', async () => {
    const client = newClient({ era: 'legacy', canConfirm: true });
    await client.connect(httpTransport(http.url));
    const on = await callJson(client, 'set_auto_reload', {
      poolId: 'plain',
      enabled: true,
      thresholdUsd: '2',
      targetBalanceUsd: '10',
    });
    expect(on.autoReload).toEqual({ thresholdUsd: '2', targetBalanceUsd: '10' });
    // The empty wallet is below the new threshold, so the manual provider may already be asked to reload.
    expect(on.pool.autoReload).toEqual({
      state: expect.stringMatching(/^(armed|reloading)$/),
      thresholdUsd: '2',
      targetBalanceUsd: '10',
    });
    const off = await callJson(client, 'set_auto_reload', { poolId: 'plain', enabled: false });
    expect(off.autoReload).toBeNull();
    expect(off.pool.autoReload).toBeNull();
    await client.close();
  });
});
