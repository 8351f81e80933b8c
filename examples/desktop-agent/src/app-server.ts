import { randomBytes } from 'node:crypto';
import { apiKey, createHub, payAsYouGo } from '@drawdown/core';
import { startGateway } from '@drawdown/gateway';
import { sqliteStore } from '@drawdown/store-sqlite';

export interface AppServerOptions {
  /** The server's own ledger: what every install's key spent. */
  ledgerFile: string;
  /** The Anthropic API key. It lives here, on the server, and is never sent to an app. */
  anthropicKey: string;
  /** Where the gateway forwards requests. Default: Anthropic's API. */
  upstreamURL?: string;
  /** What each install's trial covers. Default "10.00". */
  trialAmount?: string;
}

/**
 * The app vendor's server: a drawdown gateway in front of the Anthropic API with the admin API on,
 * and the one call an app makes to it — "give this install its trial key". The key is a drawdown
 * key (`ddk_…`) with a $10 lifetime budget held by the gateway, so pulling it out of the app gets
 * no more than $10 of Claude and no Anthropic key at all.
 */
export async function startAppServer(options: AppServerOptions) {
  const hub = await createHub({
    store: sqliteStore({ file: options.ledgerFile }),
    plugins: [apiKey({ id: 'anthropic', key: options.anthropicKey }), payAsYouGo({ id: 'org' })],
    route: { entries: [{ id: 'trial', strategy: 'anthropic', pool: 'org' }] },
  });
  const adminToken = randomBytes(32).toString('hex');
  const gateway = await startGateway({
    hub,
    admin: { token: adminToken },
    ...(options.upstreamURL !== undefined && { upstream: { url: options.upstreamURL } }),
  });
  const admin = async (path: string, init: { method?: string; body?: unknown; idempotencyKey?: string } = {}) => {
    const response = await fetch(`${gateway.url}/admin/${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        ...(init.idempotencyKey !== undefined && { 'idempotency-key': init.idempotencyKey }),
      },
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok)
      throw new Error(`admin API: ${String(body.code)}: ${String(body.message)} (${String(body.hint)})`);
    return body;
  };

  return {
    /** What apps set as their API base URL for the trial. */
    gatewayURL: gateway.url,
    /**
     * The trial key of one install. Idempotent on the install id: an app that asks again (a retry
     * after a lost answer, a reinstall on the same machine id) gets the same key, never a second trial.
     */
    async trialKey(installId: string): Promise<string> {
      const minted = await admin('keys', {
        method: 'POST',
        idempotencyKey: `trial-${installId}`,
        body: {
          name: `install-${installId}`,
          routes: ['trial'],
          budget: options.trialAmount ?? '10.00',
          period: 'lifetime',
          requestsPerMinute: 60,
        },
      });
      return minted.key as string;
    },
    /** What an install's key has spent, as the gateway's ledger says. */
    async spent(installId: string): Promise<{ spentUsd: string; budgetUsd: string }> {
      await gateway.idle(); // an answer goes out before its charge is written; wait for the charges
      const key = await admin(`keys/install-${encodeURIComponent(installId)}`);
      return { spentUsd: key.spentUsd as string, budgetUsd: key.budgetUsd as string };
    },
    async close() {
      await gateway.close();
      await hub.close();
      await hub.store.close();
    },
  };
}
