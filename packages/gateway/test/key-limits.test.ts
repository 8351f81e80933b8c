import { manualClock, replies } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { setup } from './helpers.js';

const ask = (url: string, key: string, body: Record<string, unknown>, path = '/v1/messages') =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });

const hello = (model = 'claude-haiku-5-5', maxTokens = 100) => ({
  model,
  max_tokens: maxTokens,
  messages: [{ role: 'user', content: 'hello' }],
});

describe('per-key limits', () => {
  it('refuses a model outside the key list with a 403 naming it, on messages and count_tokens, and serves listed ones and prefixes', async () => {
    const { gateway, keys, upstream, hub } = await setup();
    const { key } = await keys.create({
      name: 'haiku-only',
      routes: ['trial'],
      models: ['claude-haiku-5-5', 'claude-sonnet-*'],
    });
    const refused = await ask(gateway.url, key, hello('claude-opus-5-5'));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      type: 'error',
      error: {
        type: 'permission_error',
        message:
          'drawdown: key "haiku-only" may not use model "claude-opus-5-5"; it may use claude-haiku-5-5, claude-sonnet-*',
      },
    });
    const counted = await ask(gateway.url, key, hello('claude-opus-5-5'), '/v1/messages/count_tokens');
    expect(counted.status).toBe(403);
    expect(upstream.requests).toHaveLength(0);
    expect((await ask(gateway.url, key, hello('claude-haiku-5-5'))).status).toBe(200);
    expect((await ask(gateway.url, key, hello('claude-sonnet-5-5'))).status).toBe(200);
    await gateway.idle();
    expect(upstream.requests).toHaveLength(2);
    // Nothing was held or charged for the refused requests.
    const charges = await hub.store.entries({ kinds: ['charge'] });
    expect(charges.filter((e) => e.kind === 'charge' && e.record.account === 'trial')).toHaveLength(2);
  });

  it('answers the request beyond a requests-per-minute limit with 429, retry-after and the API rate-limit headers, holding nothing', async () => {
    const clock = manualClock('2026-11-26T15:00:10Z');
    const { gateway, keys, hub, upstream } = await setup({ clock });
    const { key } = await keys.create({ name: 'slow', routes: ['trial'], requestsPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await ask(gateway.url, key, hello())).status).toBe(200);
    const refused = await ask(gateway.url, key, hello());
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('50');
    expect(refused.headers.get('x-should-retry')).toBeNull();
    expect(refused.headers.get('anthropic-ratelimit-requests-limit')).toBe('3');
    expect(refused.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(refused.headers.get('anthropic-ratelimit-requests-reset')).toBe('2026-11-26T15:01:00Z');
    expect(await refused.json()).toEqual({
      type: 'error',
      error: {
        type: 'rate_limit_error',
        message:
          'drawdown: key "slow" is limited to 3 requests per minute; the limit resets at 2026-11-26T15:01:00Z (in 50 s)',
      },
    });
    await gateway.idle();
    expect(upstream.requests).toHaveLength(3);
    expect((await hub.store.snapshot({ account: 'trial', now: clock.now() })).activeHolds).toBe(0);
    clock.set('2026-11-26T15:01:00Z');
    expect((await ask(gateway.url, key, hello())).status).toBe(200);
  });

  it('counts tokens per minute from the hold size, gives back what an answer did not use, and refuses a request larger than the whole limit', async () => {
    const clock = manualClock('2026-11-26T15:00:00Z');
    const { gateway, keys } = await setup({
      clock,
      fallback: () => replies.message({ usage: { input_tokens: 10, output_tokens: 20 } }),
    });
    const { key } = await keys.create({ name: 'tokens', routes: ['trial'], tokensPerMinute: 1000 });
    // Each request takes its input estimate plus max_tokens (400) while it runs, then only the 30 it used.
    for (let i = 0; i < 10; i++) {
      expect((await ask(gateway.url, key, hello('claude-haiku-5-5', 400))).status).toBe(200);
      await gateway.idle();
    }
    const big = await ask(gateway.url, key, hello('claude-haiku-5-5', 5000));
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: { message: string } }).error.message).toContain(
      'more than key "tokens" may use in a minute (1000 tokens per minute)',
    );
    // Two at once fit beside the 300 used (each takes ~310 while it runs).
    const held = await Promise.all([
      ask(gateway.url, key, hello('claude-haiku-5-5', 300)),
      ask(gateway.url, key, hello('claude-haiku-5-5', 300)),
    ]);
    expect(held.map((r) => r.status)).toEqual([200, 200]);
    await gateway.idle();
    const refused = await ask(gateway.url, key, hello('claude-haiku-5-5', 700));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('anthropic-ratelimit-tokens-limit')).toBe('1000');
    expect(Number(refused.headers.get('anthropic-ratelimit-tokens-remaining'))).toBe(1000 - 12 * 30);
  });

  it('refuses a key after its expiry with 401 naming the instant', async () => {
    const clock = manualClock('2026-11-26T15:00:00Z');
    const { gateway, keys } = await setup({ clock });
    const { key } = await keys.create({ name: 'short', routes: ['trial'], expiresAt: '2026-11-26T16:00:00Z' });
    expect((await ask(gateway.url, key, hello())).status).toBe(200);
    clock.set('2026-11-26T16:00:00Z');
    const expired = await ask(gateway.url, key, hello());
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { error: { message: string } }).error.message).toBe(
      'drawdown gateway: key "short" expired at 2026-11-26T16:00:00.000Z; ask for a new key',
    );
  });

  it('refuses malformed limits at creation, naming the field', async () => {
    const { keys } = await setup();
    await expect(keys.create({ name: 'a', routes: ['trial'], requestsPerMinute: 0 })).rejects.toMatchObject({
      code: 'DRAWDOWN_GATEWAY_INVALID_KEY_REQUEST',
      data: { field: 'requestsPerMinute' },
    });
    await expect(keys.create({ name: 'b', routes: ['trial'], tokensPerMinute: 1.5 })).rejects.toMatchObject({
      data: { field: 'tokensPerMinute' },
    });
    await expect(keys.create({ name: 'c', routes: ['trial'], models: [] })).rejects.toMatchObject({
      data: { field: 'models' },
    });
    await expect(keys.create({ name: 'd', routes: ['trial'], expiresAt: 'soon' })).rejects.toMatchObject({
      data: { field: 'expiresAt' },
    });
    await expect(keys.create({ name: 'e', routes: ['trial'], idempotencyKey: 'short' })).rejects.toMatchObject({
      data: { field: 'idempotencyKey' },
    });
  });
});
