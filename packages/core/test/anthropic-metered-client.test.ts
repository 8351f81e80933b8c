import { AuthenticationError, BadRequestError, PaymentRequiredError, RateLimitError } from '@anthropic-ai/sdk';
import {
  replies,
  standardRateLimitHeaders,
  startAnthropicServer,
  unifiedRateLimitHeaders,
  type AnthropicServer,
} from '@drawdown/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMeteredClient } from '../src/anthropic/index.js';
import {
  apiKey,
  budget,
  createHub,
  silentLogger,
  usd,
  type AuthStrategy,
  type ChildEnv,
  type DrawdownEvents,
  type Hub,
  type LimitSignal,
  type RouteEntryInput,
} from '../src/index.js';
import {
  CREDITS_KEY,
  delegatedStrategy,
  PLAN_KEY,
  planThenCredits,
  rotatingKeyStrategy,
} from './fixtures/anthropic-harness.js';

const params = { model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hello' }] };

/**
 * Sonnet 4.6 at $3 / $15 per MTok: 1,000 input = $0.003, 500 output = $0.0075, 2,000 cache reads
 * at 0.1× = $0.0006, 400 five-minute cache writes at 1.25× = $0.0015, 3 web searches = $0.03.
 */
const richUsage = {
  input_tokens: 1000,
  output_tokens: 500,
  cache_read_input_tokens: 2000,
  cache_creation_input_tokens: 400,
  cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 0 },
  server_tool_use: { web_search_requests: 3 },
};
const RICH_COST = usd('0.0426');

describe('metered Anthropic client against the loopback server', () => {
  let server: AnthropicServer;
  let hub: Hub;
  let planSignals: LimitSignal[];
  let creditSignals: LimitSignal[];
  const events: Array<[string, unknown]> = [];

  const makeHub = async (
    entries: RouteEntryInput[] = [
      { id: 'plan', strategy: 'planKey', pool: 'plan' },
      { id: 'credits', strategy: 'creditsKey', pool: 'credits', requiresOptIn: false },
    ],
  ) => {
    hub = await createHub({
      logger: silentLogger,
      plugins: [
        ...planThenCredits({ plan: planSignals, credits: creditSignals }).plugins,
        delegatedStrategy('ownSignIn'),
        budget({ id: 'tiny', amount: '0.0001' }),
      ],
      route: { entries },
    });
    for (const name of ['request.routed', 'request.settled', 'request.failed', 'route.switched'] as const) {
      hub.on(name, (payload: DrawdownEvents[typeof name]) => void events.push([name, payload]));
    }
    return hub;
  };
  const charges = async (account: string) =>
    (await hub.store.entries({ account, kinds: ['charge'] })).map((e) => (e.kind === 'charge' ? e.record.cost : 0));
  const held = async (account: string) => (await hub.store.snapshot({ account, now: hub.clock.now() })).held;

  beforeEach(async () => {
    server = await startAnthropicServer({ credentials: { plan: PLAN_KEY, credits: CREDITS_KEY } });
    planSignals = [];
    creditSignals = [];
    events.length = 0;
  });
  afterEach(async () => {
    await hub?.close();
    await server.close();
  });

  it('settles the true cost of a non-streaming call, cache and web search included, and holds nothing after', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ usage: richUsage }));
    const { data, drawdown, response, request_id } = await client.messages.create(params).withResponse();
    expect(data.usage.input_tokens).toBe(1000);
    expect(response.status).toBe(200);
    expect(request_id).toBe(server.requests[0]!.requestId);
    expect(drawdown).toMatchObject({
      entryId: 'plan',
      poolId: 'plan',
      settlement: { status: 'settled', cost: RICH_COST, costUsd: '0.0426' },
    });
    expect(await charges('plan')).toEqual([RICH_COST]);
    expect(await held('plan')).toBe(0);
    expect(server.requests[0]!.credential).toBe('plan');
  });

  it('holds the estimated maximum while the call is in flight', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ stream: { stallAfter: 'message_start' } }));
    const stream = await client.messages.create({ ...params, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const routed = events.find(([name]) => name === 'request.routed')![1] as DrawdownEvents['request.routed'];
    expect(await held('plan')).toBe(routed.held);
    // 100 max_tokens of output at $15/MTok alone is $0.0015; the hold covers at least that.
    expect(routed.held).toBeGreaterThanOrEqual(usd('0.0015'));
    stream.controller.abort();
    await iterator.next();
  });

  it('settles a streamed call from message_start plus the cumulative message_delta', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    const usage = { ...richUsage, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 400 } };
    server.enqueue(replies.message({ text: 'a b c d', usage }));
    const stream = await client.messages.create({ ...params, stream: true });
    const kinds: string[] = [];
    for await (const event of stream) kinds.push(event.type);
    expect(kinds.at(-1)).toBe('message_stop');
    // The 400 cache-write tokens bill at the 1-hour rate (2×): $0.0024 instead of $0.0015.
    expect(await charges('plan')).toEqual([usd('0.0435')]);
    expect(stream.drawdown.settlement).toMatchObject({ cost: usd('0.0435') });
    expect(await held('plan')).toBe(0);
  });

  it('takes input counts from message_start when message_delta sends them as null', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ usage: richUsage, stream: { nullInputInDelta: true } }));
    const message = await client.messages.stream(params).finalMessage();
    expect(message.usage.output_tokens).toBe(500);
    expect(await charges('plan')).toEqual([RICH_COST]);
  });

  it('meters the MessageStream helper: events, finalMessage and one settle', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ text: 'streamed words here', usage: { input_tokens: 10, output_tokens: 20 } }));
    const texts: string[] = [];
    const final = await client.messages
      .stream(params)
      .on('text', (t) => texts.push(t))
      .finalMessage();
    expect(texts.join('')).toBe('streamed words here');
    expect(final.usage).toMatchObject({ input_tokens: 10, output_tokens: 20 });
    // 10 × $3/M + 20 × $15/M = $0.00003 + $0.0003
    expect(await charges('plan')).toEqual([usd('0.00033')]);
    expect(events.filter(([name]) => name === 'request.settled')).toHaveLength(1);
  });

  it('releases the hold and announces the failure when the API answers with an error', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url, clientOptions: { maxRetries: 0 } });
    server.enqueue(replies.unauthorized());
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(AuthenticationError);
    expect(await held('plan')).toBe(0);
    expect(await charges('plan')).toEqual([]);
    expect(events.find(([name]) => name === 'request.failed')![1]).toMatchObject({ entryId: 'plan', retrying: false });
    expect(planSignals.at(-1)).toMatchObject({ source: 'error', status: 401, errorType: 'authentication_error' });
  });

  it('releases the hold when the stream is aborted before the API started the message', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ stream: { stallAfter: 'headers' } }));
    const stream = await client.messages.create({ ...params, stream: true });
    expect(await held('plan')).toBeGreaterThan(0);
    const reading = (async () => {
      for await (const event of stream) void event;
    })();
    stream.controller.abort();
    await reading;
    expect(await held('plan')).toBe(0);
    expect(await charges('plan')).toEqual([]);
    expect(events.find(([name]) => name === 'request.failed')![1]).toMatchObject({
      code: 'DRAWDOWN_ANTHROPIC_STREAM_ENDED_EARLY',
    });
  });

  it('charges what the API already reported when the reader breaks off a stream midway, and holds nothing', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(
      replies.message({
        text: 'many words that never all arrive',
        usage: { input_tokens: 1000, output_tokens: 900 },
        stream: { stallAfter: 'content_block_delta' },
      }),
    );
    const stream = await client.messages.create({ ...params, stream: true });
    for await (const event of stream) if (event.type === 'content_block_delta') break;
    // message_start reported 1,000 input tokens and 1 output token: $0.003 + $0.000015.
    expect(await charges('plan')).toEqual([usd('0.003015')]);
    expect(await held('plan')).toBe(0);
  });

  it('releases the hold of a MessageStream the caller aborts before the message starts', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.message({ stream: { stallAfter: 'headers' } }));
    const stream = client.messages.stream(params);
    await new Promise<void>((resolve) => stream.on('connect', () => resolve()));
    stream.abort();
    await expect(stream.done()).rejects.toThrow();
    await expect.poll(() => held('plan')).toBe(0);
    expect(await charges('plan')).toEqual([]);
  });

  it('charges the reported usage of a stream the API breaks off with an error event', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(
      replies.message({
        usage: { input_tokens: 2000, output_tokens: 50 },
        stream: { errorAfter: { point: 'content_block_delta', type: 'overloaded_error', message: 'Overloaded' } },
      }),
    );
    await expect(client.messages.stream(params).finalMessage()).rejects.toMatchObject({ type: 'overloaded_error' });
    await expect.poll(() => held('plan')).toBe(0);
    expect(await charges('plan')).toEqual([usd('0.006015')]);
  });

  it('honours retry-after on a 429: the SDK waits a second, retries once, and the call settles once', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(
      replies.rateLimited({
        retryAfterSeconds: 1,
        headers: standardRateLimitHeaders({ requests: { limit: 50, remaining: 0, reset: Date.now() + 1000 } }),
      }),
      replies.message({ usage: { input_tokens: 10, output_tokens: 10 } }),
    );
    await client.messages.create(params);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.headers['x-stainless-retry-count']).toBe('1');
    // Without retry-after the SDK would wait at most 0.5 s before its first retry.
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(900);
    expect(await charges('plan')).toEqual([usd('0.00018')]);
    expect(planSignals[0]).toMatchObject({
      source: 'headers',
      headers: { 'retry-after': '1', 'anthropic-ratelimit-requests-remaining': '0' },
    });
  });

  it('hands standard and unified rate-limit headers of every response to the pool', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    const headers = {
      ...standardRateLimitHeaders({
        tokens: { limit: 1000, remaining: 900, reset: Date.parse('2026-11-23T12:01:00Z') },
      }),
      ...unifiedRateLimitHeaders({
        status: 'allowed_warning',
        resetAt: 1_795_000_000,
        representativeClaim: 'five_hour',
        windows: { five_hour: { utilization: 0.92 } },
      }),
    };
    server.enqueue(replies.message({ headers }));
    await client.messages.create(params);
    expect(planSignals).toHaveLength(1);
    expect(planSignals[0]).toMatchObject({
      source: 'headers',
      headers: {
        'anthropic-ratelimit-unified-status': 'allowed_warning',
        'anthropic-ratelimit-tokens-remaining': '900',
        'anthropic-ratelimit-unified-5h-utilization': '0.92',
      },
    });
  });

  it('switches a plan-limit 429 to the next route entry once, without letting the SDK retry the spent plan', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(
      replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600 }),
      replies.message({ usage: { input_tokens: 10, output_tokens: 10 } }),
    );
    const { drawdown } = await client.messages.create(params).withResponse();
    expect(server.requests.map((r) => r.credential)).toEqual(['plan', 'credits']);
    expect(drawdown).toMatchObject({ entryId: 'credits', refusedBy: ['plan'] });
    expect(await charges('credits')).toEqual([usd('0.00018')]);
    expect(await charges('plan')).toEqual([]);
    expect(await held('plan')).toBe(0);
    expect(planSignals.find((s) => s.source === 'error')).toMatchObject({
      status: 429,
      errorType: 'rate_limit_error',
      headers: { 'anthropic-ratelimit-unified-status': 'rejected' },
    });
    expect(events.find(([name]) => name === 'request.failed')![1]).toMatchObject({ entryId: 'plan', retrying: true });
    expect(events.find(([name]) => name === 'route.switched')![1]).toMatchObject({ from: 'plan', to: 'credits' });
  });

  it.each([
    ['402 billing error', replies.paymentRequired(), PaymentRequiredError],
    ['400 credit balance too low', replies.creditTooLow(), BadRequestError],
  ])(
    'switches to the next entry after a %s, and surfaces it when no entry is left',
    async (_name, refusal, errorClass) => {
      await makeHub();
      const client = createMeteredClient({ hub, baseURL: server.url });
      server.enqueue(refusal, replies.message());
      await client.messages.create(params);
      expect(server.requests.map((r) => r.credential)).toEqual(['plan', 'credits']);
      server.enqueue(refusal);
      await expect(client.messages.create(params)).rejects.toBeInstanceOf(errorClass);
      expect(await held('credits')).toBe(0);
    },
  );

  it('does not switch when failover is off: the refusal reaches the caller and the pool is marked', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url, failover: false });
    server.enqueue(replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600 }));
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(RateLimitError);
    expect(server.requests).toHaveLength(1);
    expect((await hub.pool('plan').status()).state).toBe('exhausted');
    expect(await charges('credits')).toEqual([]);
  });

  it('does not switch to an entry the user has not opted in to', async () => {
    await makeHub([
      { id: 'plan', strategy: 'planKey', pool: 'plan' },
      { id: 'credits', strategy: 'creditsKey', pool: 'credits', requiresOptIn: true },
    ]);
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600 }));
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(RateLimitError);
    expect(server.requests).toHaveLength(1);
    expect(await held('plan')).toBe(0);
  });

  it('does not switch on an ordinary 429 once the SDK has used its retries', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url, clientOptions: { maxRetries: 0 } });
    server.enqueue(replies.rateLimited());
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(RateLimitError);
    expect(server.requests.map((r) => r.credential)).toEqual(['plan']);
    expect((await hub.pool('plan').status()).state).toBe('available');
  });

  it('does not switch when the call was pinned to an entry', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    server.enqueue(replies.paymentRequired());
    await expect(client.messages.create(params, { drawdown: { entry: 'plan' } })).rejects.toBeInstanceOf(
      PaymentRequiredError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('refuses a delegated entry with a coded error, sends nothing and keeps no hold', async () => {
    await makeHub([{ id: 'personal', strategy: 'ownSignIn', pool: 'plan' }]);
    const client = createMeteredClient({ hub, baseURL: server.url });
    const error = await client.messages.create(params).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'DRAWDOWN_ANTHROPIC_DELEGATED_ENTRY',
      data: { entryId: 'personal', strategyId: 'ownSignIn' },
    });
    expect((error as Error).message).toContain('hub.childEnv("personal")');
    expect(server.requests).toHaveLength(0);
    expect(await held('plan')).toBe(0);
  });

  it('refuses a call without max_tokens before holding anything', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    const bad = { model: 'claude-sonnet-4-6', messages: params.messages } as unknown as typeof params;
    await expect(client.messages.create(bad)).rejects.toMatchObject({
      code: 'DRAWDOWN_ANTHROPIC_INVALID_PARAMS',
      data: { field: 'max_tokens' },
    });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a model the rate card does not price before sending anything', async () => {
    await makeHub();
    const client = createMeteredClient({ hub, baseURL: server.url });
    await expect(client.messages.create({ ...params, model: 'claude-nonexistent-9' })).rejects.toMatchObject({
      code: 'DRAWDOWN_UNKNOWN_MODEL',
    });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses with DRAWDOWN_ROUTE_EXHAUSTED when no entry can hold the estimate, before any request', async () => {
    await makeHub([{ id: 'tiny', strategy: 'planKey', pool: 'tiny' }]);
    const client = createMeteredClient({ hub, baseURL: server.url });
    await expect(client.messages.create(params)).rejects.toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED' });
    expect(server.requests).toHaveLength(0);
  });

  it('sends each call with the credentials the strategy gives at that moment, also when it changes the object it returned before', async () => {
    const credentials: { apiKey: string; defaultHeaders: Record<string, string> } = {
      apiKey: PLAN_KEY,
      defaultHeaders: { 'x-team': 'a' },
    };
    const strategy: AuthStrategy = {
      id: 'mutable',
      kind: 'apiKey',
      credentials: async () => credentials,
      childEnv: (base?: ChildEnv) => ({ ...base }),
      status: async () => ({ ready: true, detail: 'mutable key' }),
    };
    hub = await createHub({
      logger: silentLogger,
      plugins: [{ id: 'mutable', kind: 'auth', setup: () => ({ strategy }) }, budget({ id: 'wallet', amount: '5' })],
      route: { entries: [{ id: 'main', strategy: 'mutable', pool: 'wallet' }] },
    });
    const client = createMeteredClient({ hub, baseURL: server.url });
    await client.messages.create(params);
    await client.messages.create(params);
    credentials.apiKey = CREDITS_KEY;
    await client.messages.create(params);
    credentials.defaultHeaders['x-team'] = 'b';
    await client.messages.create(params);
    expect(server.requests.map((r) => [r.credential, r.headers['x-team']])).toEqual([
      ['plan', 'a'],
      ['plan', 'a'],
      ['credits', 'a'],
      ['credits', 'b'],
    ]);
  });

  it('stops the SDK retrying a plan-limit 429 also for a pool that takes no rate-limit signals', async () => {
    hub = await createHub({
      logger: silentLogger,
      plugins: [apiKey({ id: 'planKey', key: PLAN_KEY }), budget({ id: 'wallet', amount: '5' })],
      route: { entries: [{ id: 'main', strategy: 'planKey', pool: 'wallet' }] },
    });
    const client = createMeteredClient({ hub, baseURL: server.url, clientOptions: { maxRetries: 2 } });
    server.enqueue(replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600 }));
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(RateLimitError);
    expect(server.requests).toHaveLength(1);
    expect(await held('wallet')).toBe(0);
  });

  it('retries once with refreshed credentials after a 401 when the strategy says it is worthwhile', async () => {
    hub = await createHub({
      logger: silentLogger,
      plugins: [
        rotatingKeyStrategy('rotating', ['sk-ant-old-revoked-000001', CREDITS_KEY]),
        budget({ id: 'wallet', amount: '5' }),
      ],
      route: { entries: [{ id: 'main', strategy: 'rotating', pool: 'wallet' }] },
    });
    const client = createMeteredClient({ hub, baseURL: server.url });
    await client.messages.create(params);
    expect(server.requests.map((r) => r.credential)).toEqual(['unknown', 'credits']);
    expect((await hub.store.entries({ account: 'wallet', kinds: ['charge'] })).length).toBe(1);
  });
});
