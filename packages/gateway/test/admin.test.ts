import { describe, expect, it } from 'vitest';
import { GatewayErrorCodes, startGateway } from '../src/index.js';
import { setup } from './helpers.js';

const ADMIN_TOKEN = 'admin-0123456789abcdef0123456789abcdef';

const admin = (
  url: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) =>
  fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(init.body !== undefined && { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  });

const trial = {
  name: 'install-7f3a',
  routes: ['trial'],
  budget: '10.00',
  period: 'lifetime',
  models: ['claude-haiku-5-5'],
  requestsPerMinute: 30,
  tokensPerMinute: 100_000,
  expiresAt: '2099-01-01T00:00:00Z',
};

const codes = new Set<string>(Object.values(GatewayErrorCodes));

/** Every admin error is drawdown's `{code, message, hint}` with a code the gateway lists. */
async function adminError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { code: string; message: string; hint: string | null };
  expect(body).toMatchObject({ code, message: expect.any(String), hint: expect.any(String) });
  expect(codes.has(body.code)).toBe(true);
  return body;
}

describe('admin API', () => {
  it('is off unless started with a token: /admin/ is then not served', async () => {
    const { gateway, keys } = await setup();
    const response = await admin(gateway.url, '/admin/keys', { method: 'POST', body: trial });
    expect(response.status).toBe(401);
    expect(await keys.list()).toEqual([]);
  });

  it('mints a key with budget, models, limits and expiry that works at once, lists and reads its spend, rotates and revokes it', async () => {
    const { gateway, hub } = await setup({ gateway: { admin: { token: ADMIN_TOKEN } } });
    const minted = await admin(gateway.url, '/admin/keys', { method: 'POST', body: trial });
    expect(minted.status).toBe(201);
    const created = (await minted.json()) as Record<string, unknown> & { key: string; id: string };
    expect(created).toMatchObject({
      replayed: false,
      name: 'install-7f3a',
      routes: ['trial'],
      budgetUsd: '10',
      period: 'lifetime',
      models: ['claude-haiku-5-5'],
      requestsPerMinute: 30,
      tokensPerMinute: 100000,
      expiresAt: '2099-01-01T00:00:00.000Z',
      state: 'active',
    });
    expect(created.key).toMatch(/^ddk_/);
    const message = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': created.key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-haiku-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(message.status).toBe(200);
    await gateway.idle();

    const read = (await (await admin(gateway.url, `/admin/keys/${created.id}`)).json()) as Record<string, string>;
    // The key's spend is its limit account's total: the charge of its request, recorded on the pool that paid.
    const charges = await hub.store.entries({ kinds: ['charge'] });
    const spent = charges.reduce(
      (sum, e) => sum + (e.kind === 'charge' && e.meta.client === 'install-7f3a' ? e.record.cost : 0),
      0,
    );
    expect(
      (await hub.store.snapshot({ account: `gateway-key:${created.id}`, now: hub.clock.now() })).settled.lifetime,
    ).toBe(spent);
    expect(spent).toBeGreaterThan(0);
    expect(read).toMatchObject({ name: 'install-7f3a', spentUsd: String(spent / 1e9), heldUsd: '0' });
    expect(JSON.stringify(read)).not.toMatch(/hash|sealed|ddk_/);
    const list = (await (await admin(gateway.url, '/admin/keys')).json()) as { keys: Array<Record<string, string>> };
    expect(list.keys.map((k) => [k.name, k.spentUsd])).toEqual([['install-7f3a', String(spent / 1e9)]]);

    const rotated = (await (
      await admin(gateway.url, `/admin/keys/${created.id}/rotate`, { method: 'POST' })
    ).json()) as {
      key: string;
      rotatedAt: string;
    };
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.rotatedAt).toEqual(expect.any(String));
    const ask = (key: string) =>
      fetch(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-haiku-5-5',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      });
    expect((await ask(created.key)).status).toBe(401);
    expect((await ask(rotated.key)).status).toBe(200);
    await gateway.idle();

    const revoked = await admin(gateway.url, `/admin/keys/install-7f3a/revoke`, { method: 'POST' });
    expect(await revoked.json()).toMatchObject({ state: 'revoked' });
    expect((await ask(rotated.key)).status).toBe(401);
  });

  it('creates one key for a mint retried 5 times with one id, one after another and all at once', async () => {
    const { gateway, keys } = await setup({ gateway: { admin: { token: ADMIN_TOKEN } } });
    const mint = (id: string, name: string) =>
      admin(gateway.url, '/admin/keys', {
        method: 'POST',
        body: { ...trial, name },
        headers: { 'idempotency-key': id },
      });

    const sequential = [];
    for (let i = 0; i < 5; i++) sequential.push(await mint('install-0001-mint', 'install-0001'));
    expect(sequential.map((r) => r.status)).toEqual([201, 200, 200, 200, 200]);
    const bodies = (await Promise.all(sequential.map((r) => r.json()))) as Array<{ key: string; id: string }>;
    expect(new Set(bodies.map((b) => b.key)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);

    const concurrent = await Promise.all(Array.from({ length: 5 }, () => mint('install-0002-mint', 'install-0002')));
    expect(concurrent.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const keysMinted = (await Promise.all(concurrent.map((r) => r.json()))) as Array<{ key: string }>;
    expect(new Set(keysMinted.map((b) => b.key)).size).toBe(1);

    expect((await keys.list()).map((k) => k.name)).toEqual(['install-0001', 'install-0002']);
    // The stored record keeps no key in the clear.
    const stored = JSON.stringify(await keys.list());
    expect(stored).not.toContain(bodies[0]!.key);
    expect(stored).not.toContain(keysMinted[0]!.key);
  });

  it('answers every failure as {code, message, hint} with a fitting status', async () => {
    const { gateway } = await setup({ gateway: { admin: { token: ADMIN_TOKEN } } });
    const wrongToken = await fetch(`${gateway.url}/admin/keys`, { headers: { authorization: 'Bearer nope' } });
    await adminError(wrongToken, 401, GatewayErrorCodes.ADMIN_UNAUTHORIZED);
    const noToken = await fetch(`${gateway.url}/admin/keys`);
    await adminError(noToken, 401, GatewayErrorCodes.ADMIN_UNAUTHORIZED);

    const badBudget = await adminError(
      await admin(gateway.url, '/admin/keys', { method: 'POST', body: { ...trial, budget: 'lots' } }),
      400,
      GatewayErrorCodes.INVALID_KEY_REQUEST,
    );
    expect(badBudget).toMatchObject({ field: 'budget', message: expect.stringContaining('budget "lots"') });
    const badRoute = await adminError(
      await admin(gateway.url, '/admin/keys', { method: 'POST', body: { ...trial, routes: ['nope'] } }),
      400,
      GatewayErrorCodes.INVALID_KEY_REQUEST,
    );
    expect(badRoute).toMatchObject({ field: 'routes', hint: expect.stringContaining('drawdown which') });
    const notJson = await fetch(`${gateway.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: '{not json',
    });
    await adminError(notJson, 400, GatewayErrorCodes.ADMIN_INVALID_BODY);
    await adminError(await admin(gateway.url, '/admin/keys/nobody'), 404, GatewayErrorCodes.UNKNOWN_KEY);
    await adminError(
      await admin(gateway.url, '/admin/keys/nobody/revoke', { method: 'POST' }),
      404,
      GatewayErrorCodes.UNKNOWN_KEY,
    );
    await adminError(await admin(gateway.url, '/admin/things'), 404, GatewayErrorCodes.ADMIN_NOT_FOUND);

    const first = await admin(gateway.url, '/admin/keys', {
      method: 'POST',
      body: trial,
      headers: { 'idempotency-key': 'install-9-mint' },
    });
    expect(first.status).toBe(201);
    const conflict = await adminError(
      await admin(gateway.url, '/admin/keys', {
        method: 'POST',
        body: { ...trial, budget: '20.00' },
        headers: { 'idempotency-key': 'install-9-mint' },
      }),
      409,
      GatewayErrorCodes.IDEMPOTENCY_CONFLICT,
    );
    expect(conflict.message).toContain('install-7f3a');
    const duplicate = await admin(gateway.url, '/admin/keys', { method: 'POST', body: trial });
    await adminError(duplicate, 400, GatewayErrorCodes.INVALID_KEY_REQUEST);
  });

  it('refuses to start with a short admin token, or on a non-loopback bind unless TLS is terminated in front', async () => {
    const { hub } = await setup();
    await expect(startGateway({ hub, admin: { token: 'short' } })).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_OPTION',
      data: { field: 'admin.token' },
    });
    const remote = { hub, host: '0.0.0.0', allowRemote: true, token: 'gateway-token-0123456789' };
    await expect(startGateway({ ...remote, admin: { token: ADMIN_TOKEN } })).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_OPTION',
      data: { field: 'admin.behindTls' },
      message: expect.stringContaining('Terminate TLS in front of the gateway'),
    });
    const served = await startGateway({ ...remote, port: 0, admin: { token: ADMIN_TOKEN, behindTls: true } });
    await served.close();
  });
});
