import { replies, startAnthropicServer, type AnthropicServer } from '@drawdown/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMeteredClient } from '../src/anthropic/index.js';
import { apiKey, budget, createHub, isDrawdownError, silentLogger, usd, type Hub } from '../src/index.js';
import {
  driftByPool,
  reconcile,
  ReconcileErrorCodes,
  type ReconcileOptions,
  type ReportSource,
} from '../src/reconcile/index.js';

const TRIAL_KEY = 'sk-ant-trial-000000000000001';
const CREDITS_KEY = 'sk-ant-credits-0000000000002';
const ADMIN_KEY = 'sk-ant-admin01-test-00000003';
const HOUR = 3_600_000;
const params = { model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hi' }] };
const usage = {
  input_tokens: 1000,
  output_tokens: 500,
  cache_read_input_tokens: 2000,
  cache_creation_input_tokens: 0,
  server_tool_use: { web_search_requests: 1 },
};

let server: AnthropicServer;
let hub: Hub;
afterEach(async () => {
  await hub?.close();
  await server?.close();
});

async function setUp(admin: { reportingDelayMs?: number; pageSize?: number } = {}): Promise<void> {
  server = await startAnthropicServer({
    credentials: { trial: TRIAL_KEY, credits: CREDITS_KEY },
    admin: { keys: { ops: ADMIN_KEY }, ...admin },
  });
  await setUpHubOnly();
}

async function setUpHubOnly(): Promise<void> {
  hub = await createHub({
    logger: silentLogger,
    plugins: [
      apiKey({ id: 'trialKey', key: TRIAL_KEY }),
      apiKey({ id: 'creditsKey', key: CREDITS_KEY }),
      budget({ id: 'trial', amount: '10' }),
      budget({ id: 'credits', amount: '10' }),
    ],
    route: {
      entries: [
        { id: 'trial', strategy: 'trialKey', pool: 'trial' },
        { id: 'credits', strategy: 'creditsKey', pool: 'credits' },
      ],
    },
  });
}

/** The report the current block reads: each planted drift must be named the same through both. */
let source: ReportSource = 'admin';

/** Reconciles the last hour as read two hours from now, when every bucket is final. */
function check(overrides: Partial<ReconcileOptions> = {}) {
  const now = Date.now();
  return reconcile({
    store: hub.store,
    rateCard: hub.rateCard,
    keys: { trial: 'apikey_trial', credits: 'apikey_credits' },
    adminKey: ADMIN_KEY,
    baseUrl: server.url,
    from: now - HOUR,
    to: now + 60_000,
    bucket: '1h',
    now: now + 3 * HOUR,
    source,
    ...overrides,
  });
}

/** A call the ledger never hears of: made straight to the API with the trial key. */
async function unmetered(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': TRIAL_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

const REPORT_NAMES = { admin: "Anthropic's usage report", analytics: "Anthropic's Analytics API" } as const;

describe.each(['admin', 'analytics'] as const)('reconcile against the testkit %s report', (reading) => {
  beforeEach(() => {
    source = reading;
  });
  it('reports no drift on a clean ledger', async () => {
    await setUp();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ usage }), replies.message({ usage }));
    await client.messages.create(params);
    await client.messages.create(params);
    const result = await check();
    expect(result.exceedsTolerance).toBe(false);
    expect(result.totals).toMatchObject({ drift: 0, pending: 0, match: 1 });
    const [group] = result.groups;
    expect(group).toMatchObject({
      apiKeyId: 'apikey_trial',
      model: 'claude-sonnet-4-6',
      pools: ['trial'],
      status: 'match',
      drift: [],
      requests: 2,
    });
    expect(group!.ledger).toEqual(group!.reported);
    expect(group!.reported.web_search_requests).toBe(2);
    expect(group!.chargedNanos).toBe(group!.reportedPriceNanos);
    expect(result.sharedKeys).toEqual([]);
  });

  it('names a request the ledger missed', async () => {
    await setUp();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ usage }), replies.message({ usage }));
    await client.messages.create(params);
    await unmetered(params);
    const result = await check();
    expect(result.exceedsTolerance).toBe(true);
    const [group] = result.groups;
    expect(group!.status).toBe('drift');
    expect(group!.reason).toBe('token counts differ');
    expect(group!.drift.find((d) => d.category === 'uncached_input_tokens')).toEqual({
      category: 'uncached_input_tokens',
      ledger: 1000,
      reported: 2000,
      tokens: 1000,
      // 1,000 Sonnet 4.6 input tokens at $3/MTok.
      nanos: usd('0.003'),
    });
    expect(group!.drift.map((d) => d.category)).toEqual([
      'uncached_input_tokens',
      'cache_read_input_tokens',
      'output_tokens',
      'web_search_requests',
    ]);
  });

  it('names a 1-hour cache write the ledger counted as a 5-minute one', async () => {
    await setUp();
    const written = {
      ...usage,
      cache_creation_input_tokens: 100_000,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100_000 },
    };
    server.enqueue(replies.message({ usage: written }));
    await unmetered(params);
    // A path that lost the cache_creation breakdown settles the total as 5-minute writes.
    const { cache_creation: _lost, ...flattened } = written;
    await hub.charge({ requestId: 'r1', entry: 'trial', model: params.model, usage: flattened });
    const result = await check();
    const [group] = result.groups;
    expect(group!.status).toBe('drift');
    expect(group!.drift).toEqual([
      // 100,000 tokens at 1.25 × $3 = $0.375 counted, at 2 × $3 = $0.60 billed.
      {
        category: 'cache_creation_5m_input_tokens',
        ledger: 100_000,
        reported: 0,
        tokens: -100_000,
        nanos: -usd('0.375'),
      },
      { category: 'cache_creation_1h_input_tokens', ledger: 0, reported: 100_000, tokens: 100_000, nanos: usd('0.6') },
    ]);
    expect(group!.driftNanos).toBe(usd('0.975'));
    expect(group!.reportedPriceNanos! - group!.chargedNanos).toBe(usd('0.225'));
    // Per pool, the ledger charged $0.225 less than Anthropic's counts cost; a pool with no group reads 0.
    expect(driftByPool(result, ['trial', 'credits'])).toEqual({ trial: -usd('0.225'), credits: 0 });
  });

  it('names a wrong model name as one group only in the ledger and one only in the report', async () => {
    await setUp();
    server.enqueue(replies.message({ usage, model: 'claude-opus-4-6' }));
    await unmetered(params);
    // The ledger recorded the model that was asked for, not the one that answered.
    await hub.charge({ requestId: 'r1', entry: 'trial', model: params.model, usage });
    const result = await check();
    expect(result.groups.map((g) => [g.model, g.status, g.reason])).toEqual([
      ['claude-opus-4-6', 'drift', 'in Anthropic’s report, not in the ledger'],
      ['claude-sonnet-4-6', 'drift', 'in the ledger, not in Anthropic’s report'],
    ]);
  });

  it('names money the ledger charged without token counts, which Anthropic never reported', async () => {
    await setUp();
    await hub.charge({ requestId: 'r1', entry: 'trial', cost: usd('0.50') });
    const result = await check();
    expect(result.groups.map((g) => [g.model, g.status, g.reason, g.chargedNanos])).toEqual([
      ['unknown', 'drift', 'in the ledger, not in Anthropic’s report (no price for unknown)', usd('0.50')],
    ]);
  });

  it('tells a bucket Anthropic has not reported yet from drift', async () => {
    await setUp({ reportingDelayMs: 30 * 60_000 });
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ usage }));
    await client.messages.create(params);
    const now = Date.now();
    const fresh = await check({ now, to: now + 60_000 });
    expect(fresh.exceedsTolerance).toBe(false);
    expect(fresh.groups.map((g) => [g.status, g.reason])).toEqual([
      ['not-reported-yet', 'Anthropic has not reported this bucket yet'],
    ]);
    expect(fresh.totals).toMatchObject({ pending: 1, drift: 0 });
    // A pending bucket is not drift yet: nothing to report per pool.
    expect(driftByPool(fresh, ['trial'])).toEqual({ trial: 0 });
  });

  it.runIf(reading === 'admin')('follows next_page across several pages of buckets', async () => {
    await setUp({ pageSize: 2 });
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ usage }), replies.message({ usage }));
    await client.messages.create(params);
    await client.messages.create(params);
    const now = Date.now();
    // Ten one-minute buckets, two per page.
    const result = await check({ bucket: '1m', from: now - 9 * 60_000, to: now + 1, now: now + 3 * HOUR });
    expect(result.pages).toBe(5);
    expect(result.exceedsTolerance).toBe(false);
    expect(result.groups.reduce((n, g) => n + g.reported.uncached_input_tokens, 0)).toBe(2000);
  });

  it.runIf(reading === 'analytics')('follows next_page across several pages of rows', async () => {
    await setUp({ pageSize: 1 });
    const client = createMeteredClient({ hub, baseURL: server.url });
    const models = ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-6'];
    for (const model of models) {
      server.enqueue(replies.message({ usage }));
      await client.messages.create({ ...params, model });
    }
    // One row per model (a group), one row per page.
    const result = await check();
    expect(result.source).toBe('analytics');
    expect(result.pages).toBe(3);
    expect(result.exceedsTolerance).toBe(false);
    expect(result.groups.map((g) => g.model).sort()).toEqual([...models].sort());
    expect(result.groups.reduce((n, g) => n + g.reported.uncached_input_tokens, 0)).toBe(3000);
  });

  it('says when keys are shared between pools', async () => {
    await setUp();
    const result = await check({ keys: { trial: 'apikey_trial', credits: 'apikey_trial' } });
    expect(result.sharedKeys).toEqual([{ apiKeyId: 'apikey_trial', pools: ['trial', 'credits'] }]);
    // The report cannot split a shared key: its drift is named under both pools together.
    server.enqueue(replies.message({ usage }));
    await unmetered(params);
    const shared = await check({ keys: { trial: 'apikey_trial', credits: 'apikey_trial' } });
    expect(Object.keys(driftByPool(shared))).toEqual(['trial+credits']);
  });

  it('turns a 429 into a rate-limit error with the wait', async () => {
    await setUp();
    server.admin!.enqueue(replies.rateLimited({ retryAfterSeconds: 30 }));
    const error = await check().catch((e: unknown) => e);
    expect(isDrawdownError(error, ReconcileErrorCodes.RATE_LIMITED)).toBe(true);
    expect((error as Error).message).toBe(
      `${REPORT_NAMES[reading]} is rate limited (429 on page 1); try again in 30 s`,
    );
    expect((error as { data: unknown }).data).toMatchObject({ status: 429, retryAfterMs: 30_000, page: 1 });
  });

  it('names the status and the API message of an error, without the Admin key', async () => {
    await setUp();
    server.admin!.enqueue(replies.error(500, 'api_error', 'Internal server error'));
    const failed = await check().catch((e: unknown) => e);
    expect(isDrawdownError(failed, ReconcileErrorCodes.UPSTREAM_FAILED)).toBe(true);
    expect((failed as Error).message).toBe(`${REPORT_NAMES[reading]} answered 500 api_error: Internal server error`);
    const refused = await check({ adminKey: TRIAL_KEY }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/answered 401 authentication_error: .*needs an Admin key/);
    expect(JSON.stringify(refused)).not.toContain(TRIAL_KEY);
  });

  it('refuses options it cannot use, naming the field', async () => {
    await setUp();
    await expect(check({ keys: {} })).rejects.toThrow(/option "keys" is empty/);
    await expect(check({ adminKey: '' })).rejects.toThrow(/option "adminKey" is empty/);
    await expect(check({ bucket: '2h' as '1h' })).rejects.toThrow(/option "bucket" is "2h". Use 1m, 1h or 1d/);
    const now = Date.now();
    await expect(check({ from: now, to: now - 1 })).rejects.toThrow(/option "from" is not before "to"/);
  });
});

describe('choosing the report', () => {
  it('auto reads the Analytics API, and falls back to the usage report where it is not available', async () => {
    source = 'auto';
    await setUp();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ usage }));
    await client.messages.create(params);
    const analytics = await check();
    expect(analytics.source).toBe('analytics');
    await server.close();
    await hub.close();
    server = await startAnthropicServer({
      credentials: { trial: TRIAL_KEY, credits: CREDITS_KEY },
      admin: { keys: { ops: ADMIN_KEY }, analytics: false },
    });
    await setUpHubOnly();
    const fallback = await check();
    expect(fallback.source).toBe('admin');
    await expect(check({ source: 'analytics' })).rejects.toThrow(/Analytics API answered 404 not_found_error/);
  });

  it('auto does not hide a rate limit behind the fallback', async () => {
    source = 'auto';
    await setUp();
    server.admin!.enqueue(replies.rateLimited({ retryAfterSeconds: 5 }));
    const error = await check().catch((e: unknown) => e);
    expect(isDrawdownError(error, ReconcileErrorCodes.RATE_LIMITED)).toBe(true);
    expect((error as Error).message).toContain("Anthropic's Analytics API is rate limited");
    expect(server.admin!.calls).toBe(1);
  });

  it('refuses an unknown source, naming the field', async () => {
    await setUp();
    await expect(check({ source: 'legacy' as 'admin' })).rejects.toThrow(
      /option "source" is "legacy". Use admin, analytics or auto/,
    );
  });
});
