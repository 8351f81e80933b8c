import { afterEach, describe, expect, it } from 'vitest';
import { createRateCard, toDecimalString } from '@drawdown/core';
import { replies, startAnthropicServer, type AnthropicServer } from '../src/index.js';

const KEY = 'sk-ant-api-test-0000000001';
const ADMIN = 'sk-ant-admin01-test-000002';
const USAGE = '/v1/organizations/usage_report/messages';
const COST = '/v1/organizations/cost_report';

let server: AnthropicServer;
afterEach(async () => server?.close());

/** One message with the tools key; the reply's usage is whatever was enqueued. */
async function message(model = 'claude-sonnet-4-6'): Promise<void> {
  const response = await fetch(`${server.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(response.status).toBe(200);
}

/** A report page or an error body, as the endpoints answer. */
interface Answer {
  data: Array<{ starting_at: string; ending_at: string; results: unknown[] }>;
  has_more: boolean;
  next_page: string | null;
  error: { type: string; message: string };
}

async function get(path: string, query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}?${query}`, {
    headers: { 'x-api-key': ADMIN, 'anthropic-version': '2023-06-01', ...headers },
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer };
}

const hourAgo = (): string => new Date(Date.now() - 3_600_000).toISOString();

describe('the Admin API usage and cost reports', () => {
  it('reports billed messages per bucket, grouped as asked, in the documented shape', async () => {
    server = await startAnthropicServer({ credentials: { tools: KEY }, admin: { keys: { ops: ADMIN } } });
    const usage = {
      input_tokens: 100,
      output_tokens: 20,
      cache_read_input_tokens: 300,
      cache_creation_input_tokens: 50,
      cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 40 },
      server_tool_use: { web_search_requests: 2 },
    };
    server.enqueue(replies.message({ usage }), replies.message({ usage }));
    await message();
    await message();
    const { status, body } = await get(
      USAGE,
      `starting_at=${hourAgo()}&bucket_width=1h&group_by[]=api_key_id&group_by[]=model`,
    );
    expect(status).toBe(200);
    expect(body.has_more).toBe(false);
    expect(body.next_page).toBeNull();
    const results = body.data.flatMap((b) => b.results);
    expect(results).toEqual([
      {
        api_key_id: 'apikey_tools',
        workspace_id: null,
        model: 'claude-sonnet-4-6',
        service_tier: null,
        context_window: null,
        inference_geo: null,
        speed: null,
        account_id: null,
        service_account_id: null,
        uncached_input_tokens: 200,
        cache_read_input_tokens: 600,
        cache_creation: { ephemeral_1h_input_tokens: 80, ephemeral_5m_input_tokens: 20 },
        output_tokens: 40,
        server_tool_use: { web_search_requests: 4 },
      },
    ]);
    expect(body.data[0]).toMatchObject({ starting_at: expect.stringMatching(/:00:00Z$/) });
  });

  it('pages with has_more and next_page', async () => {
    server = await startAnthropicServer({ credentials: { tools: KEY }, admin: { keys: { ops: ADMIN } } });
    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000).toISOString();
    const first = await get(
      USAGE,
      `starting_at=${start}&bucket_width=1m&limit=2&ending_at=${new Date(Date.parse(start) + 5 * 60_000).toISOString()}`,
    );
    expect(first.body.data).toHaveLength(2);
    expect(first.body.has_more).toBe(true);
    const second = await get(
      USAGE,
      `starting_at=${start}&bucket_width=1m&limit=2&ending_at=${new Date(Date.parse(start) + 5 * 60_000).toISOString()}&page=${first.body.next_page}`,
    );
    expect(second.body.data[0]!.starting_at).toBe(first.body.data[1]!.ending_at);
  });

  it('refuses keys that are not Admin keys, bad parameters, and speed without the beta header', async () => {
    server = await startAnthropicServer({ credentials: { tools: KEY }, admin: { keys: { ops: ADMIN } } });
    const refused = await fetch(`${server.url}${USAGE}?starting_at=${hourAgo()}`, { headers: { 'x-api-key': KEY } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    expect((await get(USAGE, 'bucket_width=1h')).body.error.message).toBe('starting_at: Field required');
    expect((await get(USAGE, `starting_at=${hourAgo()}&bucket_width=2h`)).status).toBe(400);
    expect((await get(USAGE, `starting_at=${hourAgo()}&bucket_width=1h&limit=500`)).body.error.message).toMatch(
      /limit: must be between 1 and 168/,
    );
    expect((await get(USAGE, `starting_at=${hourAgo()}&group_by[]=speed`)).body.error.message).toMatch(
      /speed requires the fast-mode-2026-02-01 beta header/,
    );
    expect(
      (await get(USAGE, `starting_at=${hourAgo()}&group_by[]=speed`, { 'anthropic-beta': 'fast-mode-2026-02-01' }))
        .status,
    ).toBe(200);
  });

  it('answers queued errors first: a 429 with retry-after', async () => {
    server = await startAnthropicServer({ admin: { keys: { ops: ADMIN } } });
    server.admin!.enqueue(replies.rateLimited({ retryAfterSeconds: 7 }));
    const limited = await get(USAGE, `starting_at=${hourAgo()}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await get(USAGE, `starting_at=${hourAgo()}`)).status).toBe(200);
  });

  it('holds back requests younger than the reporting delay', async () => {
    let now = Date.now();
    server = await startAnthropicServer({
      credentials: { tools: KEY },
      admin: { keys: { ops: ADMIN }, reportingDelayMs: 600_000, now: () => now },
    });
    server.enqueue(replies.message({ usage: { input_tokens: 5, output_tokens: 1 } }));
    await message();
    const rows = async () =>
      (await get(USAGE, `starting_at=${hourAgo()}&bucket_width=1h`)).body.data.flatMap(
        (b: { results: unknown[] }) => b.results,
      );
    expect(await rows()).toEqual([]);
    now = Date.now() + 601_000;
    expect(await rows()).toHaveLength(1);
  });

  it('reports cost per day in cents as decimal strings, by description', async () => {
    server = await startAnthropicServer({ credentials: { tools: KEY }, admin: { keys: { ops: ADMIN } } });
    // 1,000,000 Sonnet 4.6 input tokens: $3.00 = 300 cents.
    server.enqueue(replies.message({ usage: { input_tokens: 1_000_000, output_tokens: 0 } }));
    await message();
    const day = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString();
    const { body } = await get(COST, `starting_at=${day}&group_by[]=description`);
    expect(body.data[0]!.results).toEqual([
      {
        currency: 'USD',
        amount: '300',
        workspace_id: null,
        cost_type: 'tokens',
        description: 'claude-sonnet-4-6 uncached_input_tokens',
        model: 'claude-sonnet-4-6',
        token_type: 'uncached_input_tokens',
        service_tier: 'standard',
        context_window: '0-200k',
      },
    ]);
    expect((await get(COST, `starting_at=${day}&bucket_width=1h`)).status).toBe(400);
  });
});

describe('the Usage and Cost Analytics API', () => {
  const ANALYTICS_USAGE = '/v1/organizations/analytics/usage';
  const ANALYTICS_COST = '/v1/organizations/analytics/cost';
  const BETA = { 'anthropic-beta': 'analytics-usage-cost-2026-08-24' };
  const usage = {
    input_tokens: 100,
    output_tokens: 20,
    cache_read_input_tokens: 300,
    cache_creation_input_tokens: 50,
    cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 40 },
    server_tool_use: { web_search_requests: 2 },
  };
  type Rows = { data: Array<Record<string, unknown>>; has_more: boolean; next_page: string | null };

  it('refuses a request without the beta or version header with a 400 naming it', async () => {
    server = await startAnthropicServer({ credentials: { tools: KEY }, admin: { keys: { ops: ADMIN } } });
    for (const path of [ANALYTICS_USAGE, ANALYTICS_COST]) {
      const { status, body } = await get(path, `starting_at=${hourAgo()}`);
      expect(status).toBe(400);
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message).toContain('anthropic-beta: analytics-usage-cost-2026-08-24');
    }
    const response = await fetch(`${server.url}${ANALYTICS_USAGE}?starting_at=${hourAgo()}`, {
      headers: { 'x-api-key': ADMIN, ...BETA },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Answer).error.message).toContain('anthropic-version');
  });

  it('reports usage and cost as rows of bucket × group, from the same billing log', async () => {
    server = await startAnthropicServer({ credentials: { tools: KEY }, admin: { keys: { ops: ADMIN } } });
    server.enqueue(replies.message({ usage }), replies.message({ usage }));
    await message();
    await message();
    const query = `starting_at=${hourAgo()}&time_bucket_width=1h&group_by[]=api_key_id&group_by[]=model`;
    const used = await get(ANALYTICS_USAGE, query, BETA);
    expect(used.status).toBe(200);
    const rows = used.body as unknown as Rows;
    expect(rows.has_more).toBe(false);
    expect(rows.data).toHaveLength(1);
    expect(rows.data[0]).toMatchObject({
      group: { api_key_id: 'apikey_tools', model: 'claude-sonnet-4-6' },
      usage: {
        uncached_input_tokens: 200,
        cache_read_input_tokens: 600,
        cache_creation: { ephemeral_5m_input_tokens: 20, ephemeral_1h_input_tokens: 80 },
        output_tokens: 40,
        server_tool_use: { web_search_requests: 4 },
        requests: 2,
        total_tokens: 200 + 600 + 100 + 40,
      },
    });
    const cost = (await get(ANALYTICS_COST, query, BETA)).body as unknown as Rows;
    const price = createRateCard().price('claude-sonnet-4-6', usage).total * 2;
    expect(cost.data[0]).toMatchObject({
      group: { api_key_id: 'apikey_tools', model: 'claude-sonnet-4-6' },
      cost: { currency: 'USD', amount: toDecimalString(price * 100), requests: 2 },
    });
  });

  it('pages rows with has_more / next_page, and leaves out empty combinations', async () => {
    server = await startAnthropicServer({
      credentials: { tools: KEY },
      admin: { keys: { ops: ADMIN }, pageSize: 1 },
    });
    server.enqueue(replies.message({ usage }), replies.message({ usage }));
    await message('claude-sonnet-4-6');
    await message('claude-haiku-4-5');
    const query = `starting_at=${hourAgo()}&time_bucket_width=1m&group_by[]=model`;
    const first = (await get(ANALYTICS_USAGE, query, BETA)).body as unknown as Rows;
    expect(first.data).toHaveLength(1);
    expect(first.has_more).toBe(true);
    const second = (await get(ANALYTICS_USAGE, `${query}&page=${first.next_page}`, BETA)).body as unknown as Rows;
    expect(second.data).toHaveLength(1);
    expect(second.has_more).toBe(false);
    expect(second.next_page).toBeNull();
    const models = [...first.data, ...second.data].map((r) => (r.group as { model: string }).model);
    expect(models.sort()).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-6']);
  });

  it('answers 404 where the organization has no access to the beta', async () => {
    server = await startAnthropicServer({
      credentials: { tools: KEY },
      admin: { keys: { ops: ADMIN }, analytics: false },
    });
    const { status, body } = await get(ANALYTICS_USAGE, `starting_at=${hourAgo()}`, BETA);
    expect(status).toBe(404);
    expect(body.error.type).toBe('not_found_error');
  });
});
