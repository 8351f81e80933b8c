import { request as httpRequest } from 'node:http';
import { isDrawdownError } from '@drawdown/core';
import { sqliteStore } from '@drawdown/store-sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { serveHttp, type HttpHandle } from '../src/index.js';
import { ledgerSpend, parseMetrics } from '../../../test-support/ledger-metrics.js';
import { describeServer } from './conformance.js';
import { fixtureHub } from './fixtures/hub.js';
import { callJson, httpTransport, newClient, type TestClient } from './helpers.js';

// One hub on the block's ledger behind two endpoints (writes off, writes on); every test connects
// clients of its own, so many clients share one server process as they would in use.
describeServer('Streamable HTTP', async ({ era, db }) => {
  const store = sqliteStore({ file: db, watchIntervalMs: 50 });
  const hub = await fixtureHub(store);
  const [readOnly, writable] = await Promise.all([serveHttp({ hub, writes: false }), serveHttp({ hub, writes: true })]);
  const clients: TestClient[] = [];
  return {
    async client({ writes, canConfirm = true }) {
      const client = newClient({ era, canConfirm });
      await client.connect(httpTransport((writes ? writable : readOnly).url));
      clients.push(client);
      return client;
    },
    async afterTest() {
      await Promise.all(clients.splice(0).map((client) => client.close()));
    },
    async close() {
      await Promise.all([readOnly.close(), writable.close()]);
      await hub.close();
      await store.close();
    },
  };
});

/** A raw POST, so the test controls Host and Origin exactly (fetch will not send a foreign Host). */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
  });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += String(chunk)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('serveHttp safety', () => {
  let handle: HttpHandle | undefined;
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
  });

  it('binds 127.0.0.1 on a free port by default', async () => {
    handle = await serveHttp({ hub: await fixtureHub() });
    expect(handle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('refuses DNS-rebinding attempts: a foreign Host or Origin gets 403', async () => {
    handle = await serveHttp({ hub: await fixtureHub() });
    const port = new URL(handle.url).port;
    expect((await post(handle.url, { host: `evil.example:${port}` })).status).toBe(403);
    expect((await post(handle.url, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(handle.url, { origin: 'null' })).status).toBe(403);
    expect((await post(handle.url, { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(
      200,
    );
  });

  it('accepts the hosts and origins it is told to', async () => {
    handle = await serveHttp({
      hub: await fixtureHub(),
      allowedHosts: ['mcp.internal'],
      allowedOrigins: ['app.example'],
    });
    expect((await post(handle.url, { host: 'mcp.internal', origin: 'https://app.example' })).status).toBe(200);
    const refused = await post(handle.url, {});
    expect(refused.status).toBe(403);
    // drawdown's error shape, the same as the gateway's and the dashboard's guard answers.
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'DRAWDOWN_HOST_NOT_ALLOWED', hint: expect.any(String) });
  });

  it('refuses to start on a non-loopback address without a bearer token', async () => {
    const error = await serveHttp({ hub: await fixtureHub(), host: '0.0.0.0' }).catch((e: unknown) => e);
    expect(isDrawdownError(error, 'DRAWDOWN_MCP_BEARER_TOKEN_REQUIRED')).toBe(true);
    expect((error as Error).message).toMatch(/bearer token.*127\.0\.0\.1/);
  });

  it('serves beyond loopback only to clients presenting the bearer token', async () => {
    const token = 'test-token-0123456789abcdef';
    handle = await serveHttp({ hub: await fixtureHub(), host: '0.0.0.0', bearerToken: token });
    const url = handle.url.replace('0.0.0.0', '127.0.0.1');
    expect((await post(url, {})).status).toBe(401);
    expect((await post(url, { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
    const client = newClient({ era: 'modern' });
    await client.connect(httpTransport(url, { authorization: `Bearer ${token}` }));
    const status = await callJson(client, 'pool_status');
    expect(JSON.stringify(status)).not.toContain(token);
    await client.close();
  });

  it('validates its options, naming the field', async () => {
    const hub = await fixtureHub();
    await expect(serveHttp({ hub, port: 70_000 })).rejects.toThrow(/"port"/);
    await expect(serveHttp({ hub, path: 'mcp' })).rejects.toThrow(/"path"/);
    await expect(serveHttp({ hub, bearerToken: 'short' })).rejects.toThrow(/"bearerToken" is shorter than 16/);
  });

  it('serves /metrics in the Prometheus text format behind its guard, spend equal to the ledger', async () => {
    const token = 'test-token-0123456789abcdef';
    const hub = await fixtureHub();
    const lease = await hub.begin({ requestId: 'r1', model: 'claude-haiku-5-5', estimate: { maxTokens: 100 } });
    await lease.settle({ usage: { input_tokens: 1200, output_tokens: 300 } });
    handle = await serveHttp({ hub, bearerToken: token });
    const metricsUrl = handle.url.replace('/mcp', '/metrics');
    expect((await fetch(metricsUrl)).status).toBe(401);
    const response = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const { value } = parseMetrics(await response.text());
    const spent = await ledgerSpend(hub.store, lease.pool.id);
    expect(spent).toBeGreaterThan(0);
    expect(value('drawdown_spend_nanodollars_total', { pool: lease.pool.id })).toBe(spent);
    expect(value('drawdown_holds', { pool: lease.pool.id })).toBe(0);
  });

  it('answers other paths with 404 and unknown sessions with 404', async () => {
    handle = await serveHttp({ hub: await fixtureHub() });
    expect((await post(handle.url.replace('/mcp', '/other'), {})).status).toBe(404);
    expect((await post(handle.url, { 'mcp-session-id': 'no-such-session' })).status).toBe(404);
  });
});

describe('a hub without a route', () => {
  it('still reports pools and prices, and says why which_pool cannot answer', async () => {
    const { createHub, budget, silentLogger } = await import('@drawdown/core');
    const hub = await createHub({
      logger: silentLogger,
      plugins: [budget({ id: 'daily', amount: '2', period: 'day' })],
    });
    const handle = await serveHttp({ hub });
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(handle.url));
    const status = await callJson(client, 'pool_status');
    expect(status.pools[0]).toMatchObject({ id: 'daily', route: [], limitUsd: '2' });
    expect(status.pools[0]!.resetsAt).toMatch(/T00:00:00\.000Z$/);
    const error = await client.callTool({ name: 'which_pool', arguments: {} });
    expect(error.isError).toBe(true);
    expect((error.content as Array<{ text: string }>)[0]!.text).toMatch(/no route.*DRAWDOWN_MCP_NO_ROUTE/);
    const estimate = await callJson(client, 'estimate_cost', {
      model: 'claude-opus-4-7',
      inputTokens: 100,
      maxTokens: 100,
    });
    expect(estimate.pools).toEqual([
      expect.objectContaining({ poolId: 'daily', chargedUsd: estimate.maxCostUsd, fits: true }),
    ]);
    await client.close();
    await handle.close();
    await hub.close();
  });
});
