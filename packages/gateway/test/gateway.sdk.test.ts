import Anthropic from '@anthropic-ai/sdk';
import { defaultRateCard, usd } from '@drawdown/core';
import { replies, unifiedRateLimitHeaders } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { keyAccount } from '../src/index.js';
import { CREDITS_SECRET, TRIAL_SECRET, setup } from './helpers.js';

const ask = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1_000,
  messages: [{ role: 'user' as const, content: 'Hello there' }],
};

describe('the gateway with the real Anthropic SDK', () => {
  it('charges a non-streaming call exactly the rate-card price of the upstream usage, with the entry key sent upstream and never the drawdown key', async () => {
    const { upstream, hub, gateway, keys, logger } = await setup();
    const { key } = await keys.create({ name: 'script', routes: ['trial'] });
    const usage = {
      input_tokens: 1_234,
      output_tokens: 567,
      cache_read_input_tokens: 2_000,
      cache_creation_input_tokens: 300,
    };
    upstream.enqueue(replies.message({ text: 'Hi!', usage }));
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const message = await client.messages.create(ask);
    expect(message.usage).toMatchObject(usage);
    await gateway.idle();
    const expected = defaultRateCard.price('claude-sonnet-4-5', message.usage).total;
    const charges = await hub.store.entries({ account: 'trial' });
    expect(charges.flatMap((e) => (e.kind === 'charge' ? [e.record.cost] : []))).toEqual([expected]);
    // The charge names the key it came through, so a person can see which tool spent what.
    expect(charges.flatMap((e) => (e.kind === 'charge' ? [e.meta] : []))).toEqual([
      expect.objectContaining({ client: 'script', route: 'trial', model: 'claude-sonnet-4-5' }),
    ]);
    // The key's own account is a limit account: held and settled with the pool, no charge of its own (reports count once).
    const keyEntries = await hub.store.entries({ account: keyAccount({ id: key.split('_')[1]! }) });
    expect(keyEntries.map((e) => `${e.kind}:${e.kind === 'hold' ? e.record.state : ''}`)).toEqual(['hold:settled']);
    expect((await hub.store.snapshot({ account: 'trial', now: Date.now() })).held).toBe(0);
    expect(
      (await hub.store.snapshot({ account: keyAccount({ id: key.split('_')[1]! }), now: Date.now() })).settled.lifetime,
    ).toBe(expected);
    expect(upstream.requests[0]).toMatchObject({ path: '/v1/messages', credential: 'trial', authScheme: 'x-api-key' });
    expect(JSON.stringify(upstream.requests)).not.toContain(key);
    expect(logger.lines.join('\n')).not.toContain(key);
  });

  it('streams the SSE answer through unchanged and settles from message_start plus the last message_delta', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'streamer', routes: ['trial'] });
    upstream.enqueue(
      replies.message({ text: 'one two three four five', usage: { input_tokens: 2_000, output_tokens: 321 } }),
    );
    const client = new Anthropic({ authToken: key, baseURL: gateway.url, maxRetries: 0 });
    const stream = client.messages.stream(ask);
    const text: string[] = [];
    stream.on('text', (t) => text.push(t));
    const final = await stream.finalMessage();
    expect(text.join('')).toBe('one two three four five');
    await gateway.idle();
    const charges = (await hub.store.entries({ account: 'trial' })).flatMap((e) =>
      e.kind === 'charge' ? [e.record.cost] : [],
    );
    expect(charges).toEqual([defaultRateCard.price('claude-sonnet-4-5', final.usage).total]);
    expect(final.usage.output_tokens).toBe(321);
  });

  it('releases the hold when the client aborts mid-stream, charging only what the API reported before', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'aborter', routes: ['trial'] });
    upstream.enqueue(
      replies.message({
        text: 'never finished',
        usage: { input_tokens: 1_000, output_tokens: 50 },
        stream: { stallAfter: 'content_block_delta' },
      }),
    );
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const settled = new Promise((resolve) => hub.once('request.settled', resolve));
    const stream = await client.messages.create({ ...ask, stream: true });
    for await (const event of stream) {
      if (event.type === 'content_block_delta') break; // leaving the loop aborts the request
    }
    await settled;
    await gateway.idle();
    const snap = await hub.store.snapshot({ account: 'trial', now: Date.now() });
    expect(snap.held).toBe(0);
    expect(snap.activeHolds).toBe(0);
    // message_start reported the input and a first output count: that much was billed.
    expect(snap.settled.lifetime).toBeGreaterThan(0);
    expect(snap.settled.lifetime).toBeLessThan(usd('0.02'));
  });

  it('releases the hold when the upstream stream breaks before the message starts', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'dropped', routes: ['trial'] });
    upstream.enqueue(
      replies.message({ usage: { input_tokens: 10, output_tokens: 5 }, stream: { stallAfter: 'headers' } }),
    );
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const failed = new Promise((resolve) => hub.once('request.failed', resolve));
    const controller = new AbortController();
    const stream = await client.messages.create({ ...ask, stream: true }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await (async () => {
      for await (const _ of stream) void _;
    })().catch(() => undefined);
    await failed;
    await gateway.idle();
    const snap = await hub.store.snapshot({ account: 'trial', now: Date.now() });
    expect(snap).toMatchObject({ held: 0, activeHolds: 0 });
    expect(snap.settled.lifetime).toBe(0);
  });

  it('refuses a request no entry of the key can pay with a 402 billing_error naming the pool and the limit, without calling upstream', async () => {
    const { upstream, hub, gateway, keys } = await setup({ trial: '0.01' });
    const { key } = await keys.create({ name: 'broke', routes: ['trial'] });
    await hub.charge({ requestId: 'earlier', entry: 'trial', cost: usd('0.01') });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url });
    const error = await client.messages.create(ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(402);
    expect(apiError.type).toBe('billing_error');
    expect(apiError.message).toMatch(/trial: trial of \$0\.01 used/);
    expect(upstream.requests).toHaveLength(0);
  });

  it('sizes holds from at most holdMaxTokens when asked, so a small budget admits a large max_tokens', async () => {
    const { upstream, gateway, keys, hub } = await setup({ trial: '0.05', gateway: { holdMaxTokens: 1_000 } });
    const { key } = await keys.create({ name: 'big-max', routes: ['trial'] });
    upstream.enqueue(replies.message({ usage: { input_tokens: 10, output_tokens: 10 } }));
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    // 128,000 output tokens on Sonnet would hold $1.92; capped at 1,000 it holds about $0.015.
    await expect(client.messages.stream({ ...ask, max_tokens: 128_000 }).finalMessage()).resolves.toMatchObject({
      type: 'message',
    });
    await gateway.idle();
    const { startGateway } = await import('../src/index.js');
    await expect(startGateway({ hub, holdMaxTokens: 0 })).rejects.toMatchObject({ data: { field: 'holdMaxTokens' } });
  });

  it('enforces a per-key budget atomically and says so', async () => {
    const { upstream, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'capped', routes: ['trial', 'credits'], budget: '0.02' });
    upstream.enqueue(replies.message({ usage: { input_tokens: 10, output_tokens: 10 } }));
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    // max_tokens 1000 on Sonnet holds about $0.015: one fits in $0.02, two at once do not.
    const results = await Promise.allSettled([client.messages.create(ask), client.messages.create(ask)]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason.error.error.message).toMatch(
      /^drawdown: key "capped" budget of \$0\.02: \$0\.00\d+ left/,
    );
    expect((refused[0] as PromiseRejectedResult).reason.status).toBe(402);
  });

  it('feeds upstream plan headers to the pool and fails over once when the entry is refused for a plan limit', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'both', routes: ['trial', 'credits'] });
    upstream.enqueue(
      replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600, claim: 'five_hour' }),
      replies.message({ usage: { input_tokens: 100, output_tokens: 10 } }),
    );
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const message = await client.messages.create(ask);
    expect(message.type).toBe('message');
    await gateway.idle();
    expect(upstream.requests.map((r) => r.credential)).toEqual(['trial', 'credits']);
    expect((await hub.store.snapshot({ account: 'credits', now: Date.now() })).settled.lifetime).toBe(
      defaultRateCard.price('claude-sonnet-4-5', message.usage).total,
    );
    expect((await hub.store.snapshot({ account: 'trial', now: Date.now() })).held).toBe(0);
    void unifiedRateLimitHeaders;
  });

  it('passes upstream errors through in the API shape and releases the hold', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'errs', routes: ['trial'] });
    upstream.enqueue(replies.overloaded());
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const error = (await client.messages.create(ask).catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(error.status).toBe(529);
    expect(error.type).toBe('overloaded_error');
    await gateway.idle();
    expect(await hub.store.snapshot({ account: 'trial', now: Date.now() })).toMatchObject({ held: 0, activeHolds: 0 });
  });

  it('forwards count_tokens and the model list with the entry credentials, without a hold', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'counter', routes: ['credits'] });
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const counted = await client.messages.countTokens({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'x'.repeat(400) }],
    });
    expect(counted.input_tokens).toBeGreaterThan(100);
    // The testkit upstream has no model list: its 404 comes back as is, proving the request went upstream.
    const models = (await client.models.list().catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(models.status).toBe(404);
    expect(upstream.requests.map((r) => [r.method, r.path, r.credential])).toEqual([
      ['POST', '/v1/messages/count_tokens', 'credits'],
      ['GET', '/v1/models', 'credits'],
    ]);
    expect((await hub.store.entries({ account: 'credits' })).length).toBe(0);
  });

  it('rejects missing, malformed, unknown and revoked keys, and never echoes them', async () => {
    const { upstream, gateway, keys, logger } = await setup({ gateway: { keysMaxAgeMs: 0 } });
    const { key } = await keys.create({ name: 'soon-revoked', routes: ['trial'] });
    const forged = `${key.slice(0, -4)}AAAA`;
    for (const bad of [undefined, 'sk-ant-nope', forged, `ddk_zzzzzzzzzzzz_${'A'.repeat(43)}`]) {
      const response = await fetch(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bad && { 'x-api-key': bad }) },
        body: JSON.stringify(ask),
      });
      expect(response.status).toBe(401);
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
      if (bad) expect(body).not.toContain(bad);
    }
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    await expect(client.messages.create(ask)).resolves.toMatchObject({ type: 'message' });
    // Once the real key is verified (and cached by id), a forged secret under the same id still fails.
    const forgedAfter = new Anthropic({ apiKey: forged, baseURL: gateway.url, maxRetries: 0 });
    await expect(forgedAfter.messages.create(ask)).rejects.toMatchObject({ status: 401 });
    await keys.revoke('soon-revoked');
    await expect(client.messages.create(ask)).rejects.toMatchObject({ status: 401 });
    expect(upstream.requests).toHaveLength(1);
    const everything = logger.lines.join('\n');
    for (const secret of [key, TRIAL_SECRET, CREDITS_SECRET]) expect(everything).not.toContain(secret);
  });

  it('rejects a wrong Host and a foreign browser Origin, and answers unknown paths clearly', async () => {
    const { upstream, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'hosts', routes: ['trial'] });
    const { request } = await import('node:http');
    const send = (headers: Record<string, string>, path = '/v1/messages') =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${gateway.url}${path}`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers } },
          (res) => {
            let body = '';
            res
              .setEncoding('utf8')
              .on('data', (c: string) => (body += c))
              .on('end', () => resolve({ status: res.statusCode!, body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(ask));
      });
    const rebound = await send({ host: 'evil.example:80' });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.type).toBe('permission_error');
    expect((await send({ origin: 'https://evil.example' })).status).toBe(403);
    const unknown = await send({}, '/v1/complete');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.message).toMatch(/not forwarded/);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses to bind beyond loopback without allowRemote and a token', async () => {
    const { startGateway } = await import('../src/index.js');
    const { hub } = await setup();
    await expect(startGateway({ hub, host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_OPTION',
      data: { field: 'allowRemote' },
    });
    await expect(startGateway({ hub, host: '0.0.0.0', allowRemote: true })).rejects.toMatchObject({
      data: { field: 'token' },
    });
  });
});
