import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { budget, createHub, type DrawdownEventName, type Logger } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOAuthClient, fileTokenStore, memoryTokenStore, oauth, type StoredTokens } from '../src/index.js';
import { startAuthServer, type TestAuthServer } from './support/auth-server.js';
import { visit, type BrowserVisit } from './support/browser.js';
import { loopbackLogin } from './support/login.js';

const EVENTS: DrawdownEventName[] = [
  'request.routed',
  'request.settled',
  'request.failed',
  'route.switched',
  'pool.low',
  'pool.exhausted',
  'pool.reset',
  'budget.crossed',
  'ledger.changed',
  'listener.failed',
  'auth.signed-in',
  'auth.refreshed',
  'auth.expired',
  'auth.signed-out',
];

let server: TestAuthServer;
let dir: string;
beforeAll(async () => {
  server = await startAuthServer();
  dir = await mkdtemp(join(tmpdir(), 'drawdown-secrets-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('secrets stay secret', () => {
  it('never puts an access token, refresh token or client secret in events, status, errors, logs or terminal output', async () => {
    const captured: string[] = [];
    const keep = (value: unknown): void => {
      captured.push(typeof value === 'string' ? value : JSON.stringify(value));
      if (value instanceof Error) captured.push(value.message, value.stack ?? '', String(value.cause ?? ''));
    };
    const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };
    const secrets = new Set<string>([server.confidentialClientSecret]);
    const remember = (tokens: StoredTokens | undefined): void => {
      for (const value of [tokens?.accessToken, tokens?.refreshToken]) if (value) secrets.add(value);
    };
    const writes = [vi.spyOn(process.stderr, 'write'), vi.spyOn(process.stdout, 'write')];

    try {
      const clock = manualClock(Date.now());
      const tokenStore = fileTokenStore({ path: join(dir, 'tokens.json') });
      const gateway = oauth({
        id: 'gateway',
        issuer: server.issuer,
        clientId: server.publicClientId,
        tokenStore,
        openBrowser: false,
        clock,
      });
      const hub = await createHub({
        clock,
        logger,
        plugins: [gateway, budget({ id: 'gateway-budget', amount: '10' })],
        route: { entries: [{ id: 'work', strategy: 'gateway', pool: 'gateway-budget' }] },
      });
      for (const event of EVENTS) hub.on(event, keep);

      // Sign in with the default URL printer (stderr), as `drawdown login` would.
      const printing = vi.spyOn(process.stderr, 'write');
      const login = gateway.login({ onUrl: undefined });
      await vi.waitFor(() => expect(printing.mock.calls.some(([text]) => String(text).includes('/auth?'))).toBe(true));
      const printed = printing.mock.calls.map(([text]) => String(text)).find((text) => text.includes('/auth?'))!;
      const browsing: Promise<BrowserVisit> = visit(printed.trim().split('\n').at(-1)!);
      keep(await login);
      keep((await browsing).body);
      remember(await tokenStore.load());

      // A routed request, a refresh before expiry, a forced refresh after a 401.
      const lease = await hub.begin({ requestId: 'r1', model: 'claude-sonnet-4-5', amount: 1000 });
      keep((await lease.credentials()).defaultHeaders);
      await lease.settle({ usage: { input_tokens: 10, output_tokens: 5 } });
      clock.advance(2 * 3600_000);
      await hub.strategy('gateway').credentials();
      remember(await tokenStore.load());
      await hub.strategy('gateway').onUnauthorized!();
      remember(await tokenStore.load());
      keep(await hub.status());
      keep(await hub.strategy('gateway').status());
      keep(hub.childEnv('work', { PATH: '/usr/bin' }).PATH);

      // A dead refresh token: auth.expired, then the error the next request gets.
      const current = (await tokenStore.load())!;
      await tokenStore.save({ ...current, refreshToken: 'not-a-refresh-token-the-server-knows', expiresAt: 0 });
      clock.advance(2 * 3600_000);
      keep(
        await hub
          .strategy('gateway')
          .credentials()
          .catch((e: unknown) => e),
      );
      keep(
        await hub
          .begin({ requestId: 'r2', amount: 1000 })
          .then((l) => l.credentials())
          .catch((e: unknown) => e),
      );
      keep(await hub.status());

      // A wrong client secret, and a sign-out whose revocation the server refuses (logged).
      const confidential = createOAuthClient({
        issuer: server.issuer,
        clientId: server.confidentialClientId,
        clientSecret: 'wrong-secret-value',
        openBrowser: false,
        tokenStore: memoryTokenStore(),
        logger,
      });
      secrets.add('wrong-secret-value');
      keep(await loopbackLogin(confidential).catch((e: unknown) => e));
      const good = createOAuthClient({
        issuer: server.issuer,
        clientId: server.confidentialClientId,
        clientSecret: server.confidentialClientSecret,
        openBrowser: false,
        tokenStore: memoryTokenStore(),
      });
      await loopbackLogin(good);
      const goodTokens = (await good.tokenStore.load())!;
      remember(goodTokens);
      const revoker = createOAuthClient({
        issuer: server.issuer,
        clientId: server.confidentialClientId,
        clientSecret: 'wrong-secret-value',
        openBrowser: false,
        tokenStore: memoryTokenStore(goodTokens),
        logger,
      });
      keep(await revoker.logout());
      await hub.close();
    } finally {
      for (const spy of writes) {
        for (const [text] of spy.mock.calls) captured.push(String(text));
        spy.mockRestore();
      }
    }

    expect(secrets.size).toBeGreaterThanOrEqual(7);
    expect(captured.some((text) => text.includes('has expired'))).toBe(true); // the expiry was reported
    expect(captured.some((text) => text.includes('could not be revoked'))).toBe(true); // the revocation failure was logged
    const everything = captured.join('\n');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
