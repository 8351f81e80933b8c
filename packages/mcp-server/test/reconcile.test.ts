import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore, type Hub } from '@drawdown/core';
import { replies, startAnthropicServer, type AnthropicServer } from '@drawdown/testkit';
import { serveHttp, type HttpHandle, type ReconcileSettings } from '../src/index.js';
import { fixtureHub, SECRET_KEY } from './fixtures/hub.js';
import { httpTransport, newClient } from './helpers.js';

const ADMIN = 'sk-ant-admin01-mcp-test-000001';
const MINUTE = 60_000;
const model = 'claude-sonnet-4-6';
const usage = { input_tokens: 1000, output_tokens: 200 };

let hub: Hub;
let http: HttpHandle;
let api: AnthropicServer;
afterEach(async () => {
  await http?.close();
  await hub?.close();
  await api?.close();
});

/** Ten minutes ago the API billed two trial requests; the ledger recorded one. */
async function serve(settings: Partial<ReconcileSettings> = {}): Promise<void> {
  api = await startAnthropicServer({ credentials: { bundled: SECRET_KEY }, admin: { keys: { ops: ADMIN } } });
  hub = await fixtureHub(memoryStore());
  const at = Date.now() - 10 * MINUTE;
  for (let i = 0; i < 2; i++) {
    api.enqueue(replies.message({ usage }));
    await fetch(`${api.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': SECRET_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
  }
  for (const bill of api.billing) bill.at = at;
  await hub.store.settle({
    account: 'trial',
    key: 'msg_1',
    cost: hub.rateCard.price(model, usage, { at }).total,
    now: at,
    scopes: [],
    day: new Date(at).toISOString().slice(0, 10),
    meta: { model, inputTokens: 1000, outputTokens: 200 },
  });
  http = await serveHttp({
    hub,
    reconcile: {
      keys: { trial: 'apikey_bundled' },
      adminKey: () => ADMIN,
      adminKeyEnv: 'ANTHROPIC_ADMIN_KEY',
      baseUrl: api.url,
      reportingLagMs: 0,
      ...settings,
    },
  });
}

describe('the reconcile tool', () => {
  it('names the drift as structured content, read-only, without the Admin key', async () => {
    await serve({ toleranceNanos: 0 });
    const client = newClient({ era: 'modern' });
    await client.connect(httpTransport(http.url));
    const tool = (await client.listTools()).tools.find((t) => t.name === 'reconcile')!;
    expect(tool.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    const result = await client.callTool({
      name: 'reconcile',
      arguments: { from: new Date(Date.now() - 30 * MINUTE).toISOString(), bucket: '1m' },
    });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as {
      exceedsTolerance: boolean;
      groups: Array<{
        status: string;
        pools: string[];
        drift: Array<{ category: string; tokens: number; usd?: string }>;
      }>;
    };
    expect(out.exceedsTolerance).toBe(true);
    expect(out.groups).toHaveLength(1);
    expect(out.groups[0]).toMatchObject({ status: 'drift', pools: ['trial'] });
    expect(out.groups[0]!.drift).toEqual([
      { category: 'uncached_input_tokens', ledger: 1000, reported: 2000, tokens: 1000, usd: '0.003' },
      { category: 'output_tokens', ledger: 200, reported: 400, tokens: 200, usd: '0.003' },
    ]);
    expect(JSON.stringify(result)).not.toContain(ADMIN);
    expect(JSON.stringify(result)).not.toContain(SECRET_KEY);
    await client.close();
  });

  it('says which variable to set when the Admin key is missing', async () => {
    await serve({ adminKey: () => undefined });
    const client = newClient({ era: 'legacy' });
    await client.connect(httpTransport(http.url));
    const result = await client.callTool({ name: 'reconcile', arguments: {} });
    expect(result.isError).toBe(true);
    expect((result.content as Array<{ text: string }>)[0]!.text).toMatch(
      /^ANTHROPIC_ADMIN_KEY is not set where the drawdown MCP server runs; .*\(DRAWDOWN_MCP_NOT_CONFIGURED\)$/,
    );
    await client.close();
  });

  it('is not offered without reconcile settings', async () => {
    hub = await fixtureHub(memoryStore());
    http = await serveHttp({ hub });
    const client = newClient({ era: 'modern' });
    await client.connect(httpTransport(http.url));
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('reconcile');
    await client.close();
  });
});

describe('pool_status forecasts', () => {
  it('gives every pool a forecast marked as such, saying "not enough data" rather than a rate', async () => {
    hub = await fixtureHub(memoryStore());
    http = await serveHttp({ hub });
    const client = newClient({ era: 'modern' });
    await client.connect(httpTransport(http.url));
    const result = await client.callTool({ name: 'pool_status', arguments: {} });
    const pools = (result.structuredContent as { pools: Array<{ id: string; forecast: Record<string, unknown> }> })
      .pools;
    for (const pool of pools) {
      expect(pool.forecast).toMatchObject({ forecast: true, basis: 'not-enough-data' });
      expect(pool.forecast.summary).toMatch(/^forecast: not enough data/);
      expect(pool.forecast.rate).toBeUndefined();
    }
    await client.close();
  });

  it('projects a pool with a steady history, with the rate and window it assumes', async () => {
    hub = await fixtureHub(memoryStore());
    const now = Date.now();
    for (let i = 6; i >= 1; i--)
      await hub.store.settle({
        account: 'trial',
        key: `m${i}`,
        cost: 100_000_000,
        now: now - i * 10 * MINUTE,
        scopes: [],
        day: '2026-12-03',
      });
    http = await serveHttp({ hub });
    const client = newClient({ era: 'modern' });
    await client.connect(httpTransport(http.url));
    const result = await client.callTool({ name: 'pool_status', arguments: { poolId: 'trial' } });
    const [trial] = (result.structuredContent as { pools: Array<{ forecast: Record<string, unknown> }> }).pools;
    expect(trial!.forecast).toMatchObject({
      forecast: true,
      basis: 'projected',
      rate: { perHourUsd: expect.stringMatching(/^0\.\d+$/), window: expect.stringMatching(/^last (hours|days)$/) },
      exhaustsAt: expect.stringMatching(/Z$/),
      outlook: expect.stringMatching(/^runs out in /),
    });
    await client.close();
  });
});
