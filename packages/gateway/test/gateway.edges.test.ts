import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { apiKey, budget, createHub, defaultRateCard, memoryStore } from '@drawdown/core';
import { describe, expect, it } from 'vitest';
import { keyManager, startGateway, type KeyRecord } from '../src/index.js';
import { TRIAL_SECRET, capturingLogger, setup } from './helpers.js';

const ask = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Hello' }] };
const post = (url: string, headers: Record<string, string>, body: string) =>
  fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('gateway failure paths', () => {
  it('answers a bad body, a missing field and an unknown model with invalid_request_error naming the problem, holding nothing', async () => {
    const { upstream, hub, gateway, keys } = await setup();
    const { key } = await keys.create({ name: 'bad-bodies', routes: ['trial'] });
    const cases: Array<[string, RegExp]> = [
      ['not json', /not a JSON object/],
      [JSON.stringify({ ...ask, model: undefined }), /^model: Field required/],
      [JSON.stringify({ ...ask, max_tokens: undefined }), /^max_tokens: Field required/],
      [JSON.stringify({ ...ask, model: 'claude-sonnet-9-9' }), /claude-sonnet-9-9/],
    ];
    for (const [body, message] of cases) {
      const response = await post(gateway.url, { 'x-api-key': key }, body);
      expect(response.status).toBe(400);
      const error = (await response.json()) as { type: string; error: { type: string; message: string } };
      expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
      expect(error.error.message).toMatch(message);
    }
    expect(upstream.requests).toHaveLength(0);
    expect((await hub.store.snapshot({ account: 'trial', now: Date.now() })).activeHolds).toBe(0);
  });

  it('releases the hold and answers 502 when the upstream cannot be reached, naming no credential', async () => {
    const logger = capturingLogger();
    const hub = await createHub({
      store: memoryStore(),
      logger,
      plugins: [apiKey({ id: 'k', key: TRIAL_SECRET }), budget({ id: 'trial', amount: '1.00' })],
      route: { entries: [{ id: 'trial', strategy: 'k', pool: 'trial' }] },
    });
    const { key } = await keyManager(hub.store).create({ name: 'offline', routes: ['trial'] });
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const gateway = await startGateway({ hub, upstream: { url: 'http://127.0.0.1:9' } });
    try {
      const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
      const error = (await client.messages.create(ask).catch((e: unknown) => e)) as InstanceType<
        typeof Anthropic.APIError
      >;
      expect(error.status).toBe(502);
      expect(error.message).toMatch(/upstream http:\/\/127\.0\.0\.1:9 failed: ECONNREFUSED; nothing was charged/);
      expect(await hub.store.snapshot({ account: 'trial', now: Date.now() })).toMatchObject({
        held: 0,
        activeHolds: 0,
      });
      for (const secret of [key, TRIAL_SECRET]) expect(error.message + logger.lines.join('\n')).not.toContain(secret);
    } finally {
      await gateway.close();
      await hub.close();
    }
  });

  it('passes a JSON answer to a stream request through as JSON and charges its usage', async () => {
    // An upstream (a proxy, an older API) that ignores `stream: true` and answers one JSON message.
    const usage = { input_tokens: 1_500, output_tokens: 250 };
    const answer = JSON.stringify({
      id: 'msg_json',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'as JSON' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage,
    });
    const seen: Array<{ stream: unknown }> = [];
    const jsonOnly = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (chunk: Buffer) => parts.push(chunk));
      req.on('end', () => {
        seen.push(JSON.parse(Buffer.concat(parts).toString('utf8')) as { stream: unknown });
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_json' });
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => jsonOnly.listen(0, '127.0.0.1', resolve));
    const hub = await createHub({
      store: memoryStore(),
      plugins: [apiKey({ id: 'k', key: TRIAL_SECRET }), budget({ id: 'trial', amount: '1.00' })],
      route: { entries: [{ id: 'trial', strategy: 'k', pool: 'trial' }] },
    });
    const { key } = await keyManager(hub.store).create({ name: 'json-stream', routes: ['trial'] });
    const gateway = await startGateway({
      hub,
      upstream: { url: `http://127.0.0.1:${(jsonOnly.address() as AddressInfo).port}` },
    });
    try {
      const response = await post(gateway.url, { 'x-api-key': key }, JSON.stringify({ ...ask, stream: true }));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.text()).toBe(answer);
      expect(seen).toEqual([expect.objectContaining({ stream: true })]);
      await gateway.idle();
      const charges = await hub.store.entries({ account: 'trial' });
      expect(charges.flatMap((e) => (e.kind === 'charge' ? [e.record.cost] : []))).toEqual([
        defaultRateCard.price('claude-sonnet-4-5', usage).total,
      ]);
      expect(await hub.store.snapshot({ account: 'trial', now: Date.now() })).toMatchObject({
        held: 0,
        activeHolds: 0,
      });
    } finally {
      await gateway.close();
      await hub.close();
      await new Promise((resolve) => jsonOnly.close(resolve));
    }
  });

  it('requires the gateway token when one is set, compared without echoing it', async () => {
    const token = 'gateway-token-0123456789abcdef';
    const { gateway, keys, upstream } = await setup({ gateway: { token } });
    const { key } = await keys.create({ name: 'tokened', routes: ['trial'] });
    const without = await post(gateway.url, { 'x-api-key': key }, JSON.stringify(ask));
    expect(without.status).toBe(401);
    expect(await without.text()).toMatch(/x-drawdown-gateway-token/);
    expect(
      (
        await post(
          gateway.url,
          { 'x-api-key': key, 'x-drawdown-gateway-token': 'wrong-token-0123456789' },
          JSON.stringify(ask),
        )
      ).status,
    ).toBe(401);
    expect(
      (await post(gateway.url, { 'x-api-key': key, 'x-drawdown-gateway-token': token }, JSON.stringify(ask))).status,
    ).toBe(200);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers['x-drawdown-gateway-token']).toBeUndefined();
  });

  it('serves extra routes behind the same guard, with or without a key', async () => {
    const seen: Array<KeyRecord | undefined> = [];
    const { gateway, keys } = await setup({
      gateway: {
        routes: [
          { method: 'GET', path: '/dashboard', handle: (_req, res) => void res.end('<h1>pools</h1>') },
          {
            method: 'GET',
            path: /^\/api\/me$/,
            auth: 'key',
            handle: (_req, res, { key }) => {
              seen.push(key);
              res.end(key?.name);
            },
          },
        ],
      },
    });
    const { key } = await keys.create({ name: 'viewer', routes: ['trial'] });
    expect(await (await fetch(`${gateway.url}/dashboard`)).text()).toBe('<h1>pools</h1>');
    expect((await fetch(`${gateway.url}/dashboard`, { headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await fetch(`${gateway.url}/api/me`)).status).toBe(401);
    expect(await (await fetch(`${gateway.url}/api/me`, { headers: { authorization: `Bearer ${key}` } })).text()).toBe(
      'viewer',
    );
    expect(seen.map((k) => k?.name)).toEqual(['viewer']);
  });

  it('refuses a key whose routes name no usable entry', async () => {
    const { gateway, keys, upstream } = await setup();
    const { key } = await keys.create({ name: 'stale-route', routes: ['gone'] });
    const response = await post(gateway.url, { 'x-api-key': key }, JSON.stringify(ask));
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /^drawdown: key "stale-route" may use no entry of the route \(it lists gone/,
    );
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('keyManager', () => {
  it('checks names, routes and budgets, refuses a duplicate active name, and stores only a hash', async () => {
    const store = memoryStore();
    const keys = keyManager(store);
    await expect(keys.create({ name: 'has space', routes: ['a'] })).rejects.toMatchObject({
      code: 'DRAWDOWN_GATEWAY_INVALID_KEY_REQUEST',
      data: { field: 'name' },
    });
    await expect(keys.create({ name: 'x', routes: [] })).rejects.toMatchObject({ data: { field: 'routes' } });
    await expect(keys.create({ name: 'x', routes: ['a'], budget: '-1' })).rejects.toMatchObject({
      data: { field: 'budget' },
    });
    await expect(keys.create({ name: 'x', routes: ['a'], budget: 'ten' })).rejects.toMatchObject({
      data: { field: 'budget' },
    });
    const { key, record } = await keys.create({ name: 'x', routes: ['a', 'a'], budget: '2.5' });
    expect(record).toMatchObject({ routes: ['a'], budget: 2_500_000_000 });
    await expect(keys.create({ name: 'x', routes: ['a'] })).rejects.toMatchObject({ data: { field: 'name' } });
    // The secret is everything after `ddk_<id>_` (base64url, which may itself contain "_").
    const secret = key.slice('ddk_'.length + record.id.length + 1);
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(await store.getState('gateway.keys'))).not.toContain(secret);
    await keys.revoke(record.id);
    await expect(keys.revoke('x')).rejects.toMatchObject({ code: 'DRAWDOWN_GATEWAY_UNKNOWN_KEY' });
    await expect(keys.create({ name: 'x', routes: ['a'] })).resolves.toBeDefined();
  });
});
