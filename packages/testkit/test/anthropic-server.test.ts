import Anthropic, {
  AuthenticationError,
  BadRequestError,
  OverloadedError,
  PaymentRequiredError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CREDIT_BALANCE_TOO_LOW_MESSAGE,
  replies,
  standardRateLimitHeaders,
  startAnthropicServer,
  unifiedRateLimitHeaders,
  type AnthropicServer,
} from '../src/index.js';

const KEY = 'sk-ant-test-loopback-0001';
const params = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Say hello' }],
};

describe('loopback Anthropic server', () => {
  let server: AnthropicServer;
  let client: Anthropic;
  beforeEach(async () => {
    server = await startAnthropicServer({ credentials: { test: KEY } });
    client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('answers a non-streaming message with the scripted usage and a request-id the SDK exposes', async () => {
    server.enqueue(
      replies.message({ text: 'Hi there', usage: { input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 40 } }),
    );
    const { data, request_id } = await client.messages.create(params).withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'Hi there' }]);
    expect(data.usage).toMatchObject({ input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 40 });
    expect(data.model).toBe('claude-sonnet-4-6');
    expect(request_id).toMatch(/^req_/);
    expect(server.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      credential: 'test',
      requestId: request_id,
    });
  });

  it('never records the credential itself, only which configured credential matched', async () => {
    await client.messages.create(params);
    const recorded = JSON.stringify(server.requests);
    expect(recorded).not.toContain(KEY);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
    expect(server.requests[0]!.headers['anthropic-version']).toBeDefined();
  });

  it('streams the event sequence of the real API, with cumulative usage in message_delta', async () => {
    server.enqueue(
      replies.message({
        text: 'one two three',
        usage: { input_tokens: 30, output_tokens: 7, cache_creation_input_tokens: 5 },
      }),
    );
    const stream = await client.messages.create({ ...params, stream: true });
    const types: string[] = [];
    let deltaUsage: unknown;
    let startUsage: unknown;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_start') startUsage = event.message.usage;
      if (event.type === 'message_delta') deltaUsage = event.usage;
    }
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(startUsage).toMatchObject({ input_tokens: 30, cache_creation_input_tokens: 5, output_tokens: 1 });
    expect(deltaUsage).toMatchObject({ input_tokens: 30, cache_creation_input_tokens: 5, output_tokens: 7 });
  });

  it('sends ping events and SSE event names on the wire', async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ ...params, stream: true }),
    });
    const text = await response.text();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(text).toContain('event: ping\ndata: {"type":"ping"}');
    expect(text.trim().endsWith('event: message_stop\ndata: {"type":"message_stop"}')).toBe(true);
  });

  it('builds the final message through the SDK MessageStream helper', async () => {
    server.enqueue(replies.message({ text: 'streamed reply', usage: { input_tokens: 9, output_tokens: 2 } }));
    const message = await client.messages.stream(params).finalMessage();
    expect(message.content).toEqual([{ type: 'text', text: 'streamed reply' }]);
    expect(message.usage).toMatchObject({ input_tokens: 9, output_tokens: 2 });
  });

  it('can null the input fields of message_delta while keeping the cumulative output count', async () => {
    server.enqueue(
      replies.message({ usage: { input_tokens: 4, output_tokens: 9 }, stream: { nullInputInDelta: true } }),
    );
    const message = await client.messages.stream(params).finalMessage();
    expect(message.usage).toMatchObject({ input_tokens: 4, output_tokens: 9 });
  });

  it('replies to a 429 with retry-after and the error body shape of the API', async () => {
    server.enqueue(replies.rateLimited({ retryAfterSeconds: 7 }));
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: JSON.stringify(params),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: expect.any(String) },
      request_id: response.headers.get('request-id'),
    });
  });

  it('maps each scripted error to the SDK error class for its status', async () => {
    server.enqueue(
      replies.rateLimited(),
      replies.creditTooLow(),
      replies.unauthorized(),
      replies.paymentRequired({ error_code: 'enforced_spend_limit_reached' }),
      replies.overloaded(),
    );
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(RateLimitError);
    const credit = await client.messages.create(params).catch((e: unknown) => e);
    expect(credit).toBeInstanceOf(BadRequestError);
    expect((credit as BadRequestError).apiMessage).toBe(CREDIT_BALANCE_TOO_LOW_MESSAGE);
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(AuthenticationError);
    const billing = await client.messages.create(params).catch((e: unknown) => e);
    expect(billing).toBeInstanceOf(PaymentRequiredError);
    expect((billing as PaymentRequiredError).errorCode).toBe('enforced_spend_limit_reached');
    await expect(client.messages.create(params)).rejects.toBeInstanceOf(OverloadedError);
  });

  it('refuses a request whose key is not among the accepted credentials with a 401', async () => {
    const stranger = new Anthropic({ apiKey: 'sk-ant-someone-else', baseURL: server.url, maxRetries: 0 });
    await expect(stranger.messages.create(params)).rejects.toBeInstanceOf(AuthenticationError);
    expect(server.requests[0]!.credential).toBe('unknown');
    const anonymous = await fetch(`${server.url}/v1/messages`, { method: 'POST', body: JSON.stringify(params) });
    expect(anonymous.status).toBe(401);
    expect(server.requests[1]!.credential).toBeUndefined();
  });

  it("answers Claude Code's HEAD /api/hello, records every credential presented and the usage it replied with", async () => {
    const hello = await fetch(`${server.url}/api/hello`, { method: 'HEAD' });
    expect(hello.status).toBe(200);
    server.enqueue(
      replies.message({
        usage: {
          input_tokens: 7,
          output_tokens: 2,
          cache_creation_input_tokens: 30,
          cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 },
        },
      }),
    );
    const both = await fetch(`${server.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, authorization: 'Bearer sk-ant-someone-else' },
      body: JSON.stringify(params),
    });
    expect(both.status).toBe(200);
    const recorded = server.requests.at(-1)!;
    expect(recorded.presented).toEqual([
      { scheme: 'x-api-key', credential: 'test' },
      { scheme: 'bearer', credential: 'unknown' },
    ]);
    expect(recorded.reply).toMatchObject({
      status: 200,
      model: 'claude-sonnet-4-6',
      usage: { input_tokens: 7, cache_creation: { ephemeral_1h_input_tokens: 20 } },
    });
    expect(JSON.stringify(server.requests)).not.toContain('sk-ant-someone-else');
  });

  it('accepts the key in x-api-key as well as a bearer token', async () => {
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: JSON.stringify(params),
    });
    expect(response.status).toBe(200);
    await client.messages.create(params);
    expect(server.requests.map((r) => r.authScheme)).toEqual(['x-api-key', 'bearer']);
  });

  it('sends scripted standard and unified rate-limit headers', async () => {
    const reset = Date.parse('2026-11-23T13:00:00Z');
    server.enqueue(
      replies.message({
        headers: {
          ...standardRateLimitHeaders({ requests: { limit: 50, remaining: 49, reset } }),
          ...unifiedRateLimitHeaders({
            status: 'allowed_warning',
            resetAt: 1_795_000_000,
            representativeClaim: 'seven_day',
            windows: { seven_day: { utilization: 0.91, surpassedThreshold: 0.9 } },
          }),
        },
      }),
    );
    const { response } = await client.messages.create(params).withResponse();
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('49');
    expect(response.headers.get('anthropic-ratelimit-requests-reset')).toBe('2026-11-23T13:00:00Z');
    expect(response.headers.get('anthropic-ratelimit-unified-status')).toBe('allowed_warning');
    expect(response.headers.get('anthropic-ratelimit-unified-7d-utilization')).toBe('0.91');
    expect(response.headers.get('anthropic-ratelimit-unified-7d-surpassed-threshold')).toBe('0.9');
  });

  it('marks a spent plan with unified status rejected on its 429', async () => {
    server.enqueue(replies.planLimit({ resetAt: 1_795_000_000 }));
    const error = (await client.messages.create(params).catch((e: unknown) => e)) as RateLimitError;
    expect(error.headers.get('anthropic-ratelimit-unified-status')).toBe('rejected');
    expect(error.headers.get('anthropic-ratelimit-unified-reset')).toBe('1795000000');
    expect(error.headers.get('anthropic-ratelimit-unified-5h-utilization')).toBe('1');
  });

  it('counts tokens', async () => {
    const counted = await client.messages.countTokens({ model: params.model, messages: params.messages });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const scripted = await startAnthropicServer({ countTokens: () => 1234 });
    try {
      const other = new Anthropic({ apiKey: 'any', baseURL: scripted.url });
      expect((await other.messages.countTokens({ model: params.model, messages: params.messages })).input_tokens).toBe(
        1234,
      );
    } finally {
      await scripted.close();
    }
  });

  it('stalls a stream after a chosen event until the client aborts', async () => {
    server.enqueue(replies.message({ stream: { stallAfter: 'content_block_start' } }));
    const stream = await client.messages.create({ ...params, stream: true });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type === 'content_block_start') stream.controller.abort();
    }
    expect(seen).toEqual(['message_start', 'content_block_start']);
  });

  it('cuts the connection midway when told to drop a stream', async () => {
    server.enqueue(replies.message({ stream: { dropAfter: 'message_start' } }));
    const stream = await client.messages.create({ ...params, stream: true });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of stream) seen.push(event.type);
      })(),
    ).rejects.toThrow();
    expect(seen).toEqual(['message_start']);
  });

  it('sends an SSE error event midway when scripted', async () => {
    server.enqueue(
      replies.message({
        stream: { errorAfter: { point: 'content_block_delta', type: 'overloaded_error', message: 'Overloaded' } },
      }),
    );
    const error = await client.messages
      .stream(params)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'overloaded_error' });
  });

  it('rejects malformed requests and unknown paths like the API', async () => {
    const noModel = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: JSON.stringify({ messages: [] }),
    });
    expect(noModel.status).toBe(400);
    expect(((await noModel.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const noMax = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    expect(noMax.status).toBe(400);
    const missing = await fetch(`${server.url}/v1/nothing`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
      body: '{}',
    });
    expect(missing.status).toBe(404);
  });

  it('replies in queue order and falls back to the default reply when the queue is empty', async () => {
    server.enqueue(replies.message({ text: 'first' }), replies.message({ text: 'second' }));
    expect(server.pending()).toBe(2);
    const texts = [];
    for (let i = 0; i < 3; i++) {
      const m = await client.messages.create(params);
      texts.push(m.content[0]?.type === 'text' ? m.content[0].text : '');
    }
    expect(texts).toEqual(['first', 'second', 'Hello from the loopback Anthropic server.']);
    server.reset();
    expect(server.requests).toHaveLength(0);
  });
});
