import { apiKey, budget, createHub, memoryStore, silentLogger } from '@drawdown/core';
import { replies, startAnthropicServer } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { reconcileSource } from '../src/reconcile.js';

const KEY = 'sk-ant-dashboard-panel-0123456789';
const ADMIN = 'sk-ant-admin01-dashboard-panel-0000';

async function ledger() {
  return createHub({
    store: memoryStore(),
    logger: silentLogger,
    plugins: [apiKey({ id: 'bundled', key: KEY }), budget({ id: 'trial', amount: '10.00' })],
    route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
  });
}

describe('the reconcile panel', () => {
  it('says what to add without a reconcile section, and what to set without the Admin key', async () => {
    const hub = await ledger();
    expect(await reconcileSource(hub, undefined).read()).toEqual({
      enabled: false,
      howTo: expect.stringMatching(/^Add a "reconcile" section to the configuration/),
    });
    const settings = { keys: { trial: 'apikey_bundled' }, adminKey: () => undefined, adminKeyEnv: 'OPS_ADMIN_KEY' };
    expect(await reconcileSource(hub, settings).read()).toEqual({
      enabled: false,
      howTo: expect.stringMatching(/^Set OPS_ADMIN_KEY \(an Admin key of the organization\) where the dashboard runs/),
    });
    await hub.close();
  });

  it('shows a failed check (a 429) with its code, keeps the page up, and checks again when due', async () => {
    const upstream = await startAnthropicServer({ credentials: { bundled: KEY }, admin: { keys: { ops: ADMIN } } });
    const hub = await ledger();
    try {
      upstream.admin!.enqueue(replies.rateLimited({ retryAfterSeconds: 30 }));
      let changes = 0;
      const source = reconcileSource(
        hub,
        {
          keys: { trial: 'apikey_bundled' },
          adminKey: () => ADMIN,
          adminKeyEnv: 'ANTHROPIC_ADMIN_KEY',
          baseUrl: upstream.url,
        },
        { everyMs: 0, changed: () => void changes++ },
      );
      const failed = await source.read();
      expect(failed).toMatchObject({
        enabled: true,
        error: { code: 'DRAWDOWN_RECONCILE_RATE_LIMITED', message: expect.stringContaining('try again in 30 s') },
      });
      expect(JSON.stringify(failed)).not.toContain(ADMIN);
      // Due again at once (everyMs 0): the next read starts a check, and the one after shows its result.
      await source.read();
      await expect.poll(() => changes).toBeGreaterThanOrEqual(2);
      const recovered = await source.read();
      expect(recovered).toMatchObject({ enabled: true, result: { exceedsTolerance: false, totals: { drift: 0 } } });
      expect(recovered).not.toHaveProperty('error');
      expect(upstream.admin!.calls).toBeGreaterThanOrEqual(2);
    } finally {
      await hub.close();
      await upstream.close();
    }
  });
});
