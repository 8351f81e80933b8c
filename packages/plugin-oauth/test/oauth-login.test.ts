import { isDrawdownError, type DrawdownEvents } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOAuthClient, memoryTokenStore, OAuthErrorCodes, type OAuthClientOptions } from '../src/index.js';
import { startAuthServer, TEST_ACCOUNT, type TestAuthServer } from './support/auth-server.js';
import { visit, type BrowserVisit } from './support/browser.js';
import { loopbackLogin } from './support/login.js';

let server: TestAuthServer;

beforeAll(async () => {
  server = await startAuthServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.decision = 'approve';
  server.refreshTokenTtlSeconds = 14 * 24 * 3600;
});

type Emitted = Array<{ event: string; payload: unknown }>;

function makeClient(overrides: Partial<OAuthClientOptions> = {}) {
  const emitted: Emitted = [];
  const tokenStore = overrides.tokenStore ?? memoryTokenStore();
  const client = createOAuthClient({
    issuer: server.issuer,
    clientId: server.publicClientId,
    openBrowser: false,
    tokenStore,
    events: { emit: (event, payload) => void emitted.push({ event, payload }) },
    ...overrides,
  });
  return { client, tokenStore, emitted };
}

/** Walks a paste-mode sign-in and returns the address the browser ended on. */
async function pasteAddress(url: string): Promise<URL> {
  return (await visit(url, (next) => next.href.startsWith('http://127.0.0.1/callback'))).url;
}

describe('managed OAuth sign-in against a real authorization server', () => {
  it('signs in with authorization code + PKCE through a real loopback redirect and gets a working token', async () => {
    const { client, tokenStore, emitted } = makeClient();
    const { result, page, authorizationUrl } = await loopbackLogin(client);

    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorizationUrl.searchParams.get('state')).toBeTruthy();
    expect(authorizationUrl.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(page.response?.status).toBe(200);
    expect(page.body).toContain('Signed in');
    expect(result.account).toBe(TEST_ACCOUNT.id);

    const stored = await tokenStore.load();
    expect(stored?.refreshToken).toBeTruthy();
    const credentials = await client.strategy.credentials();
    expect(credentials.authToken).toBe(stored?.accessToken);
    expect(credentials.defaultHeaders).toEqual({ 'anthropic-beta': 'oauth-2025-04-20' });

    // The token is one the server honours: its userinfo endpoint answers for the signed-in user.
    const me = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${credentials.authToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: TEST_ACCOUNT.id });

    expect(await client.status()).toMatchObject({
      ready: true,
      detail: `signed in to ${new URL(server.issuer).host} as ${TEST_ACCOUNT.id}`,
    });
    expect(emitted.map((e) => e.event)).toEqual(['auth.signed-in']);
  });

  it('signs in by pasting the address the browser ended on, for machines without a browser', async () => {
    const { client, tokenStore } = makeClient();
    let address: Promise<URL> | undefined;
    await client.login({
      mode: 'paste',
      onUrl: (url) => void (address = pasteAddress(url)),
      readPasted: async () => (await address!).href,
    });
    expect((await tokenStore.load())?.accessToken).toBeTruthy();
  });

  it('accepts the code#state form in paste mode', async () => {
    const { client, tokenStore } = makeClient();
    let address: Promise<URL> | undefined;
    await client.login({
      mode: 'paste',
      onUrl: (url) => void (address = pasteAddress(url)),
      readPasted: async () => {
        const url = await address!;
        return `${url.searchParams.get('code')}#${url.searchParams.get('state')}`;
      },
    });
    expect((await tokenStore.load())?.accessToken).toBeTruthy();
  });

  it('refuses a pasted redirect whose state is not the one this login sent, and stores nothing', async () => {
    const { client, tokenStore } = makeClient();
    let address: Promise<URL> | undefined;
    const login = client.login({
      mode: 'paste',
      onUrl: (url) => void (address = pasteAddress(url)),
      readPasted: async () => {
        const url = await address!;
        url.searchParams.set('state', 'forged-state');
        return url.href;
      },
    });
    await expect(login).rejects.toMatchObject({ code: OAuthErrorCodes.STATE_MISMATCH });
    expect(await tokenStore.load()).toBeUndefined();
  });

  it('refuses a loopback redirect with another state and tells the browser the sign-in failed', async () => {
    const { client, tokenStore } = makeClient();
    let answered: Promise<Response> | undefined;
    const login = client.login({
      mode: 'loopback',
      onUrl(url) {
        answered = visit(url, (next) => next.pathname === '/callback').then((stop) => {
          stop.url.searchParams.set('state', 'forged-state');
          return fetch(stop.url);
        });
      },
    });
    await expect(login).rejects.toMatchObject({ code: OAuthErrorCodes.STATE_MISMATCH });
    const page = await answered!;
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('Sign-in failed');
    expect(await tokenStore.load()).toBeUndefined();
  });

  it('refuses a pasted bare code without its state', async () => {
    const { client } = makeClient();
    const login = client.login({ mode: 'paste', onUrl: () => undefined, readPasted: async () => 'just-a-code' });
    await expect(login).rejects.toMatchObject({ code: OAuthErrorCodes.INVALID_PASTE });
  });

  it('surfaces access_denied from the authorization server as a coded error carrying the RFC code', async () => {
    server.decision = 'deny';
    const { client, tokenStore } = makeClient();
    let browsing: Promise<BrowserVisit> | undefined;
    const error = await client.login({ onUrl: (url) => void (browsing = visit(url)) }).catch((e: unknown) => e);
    expect(isDrawdownError(error, OAuthErrorCodes.AUTHORIZATION_DENIED)).toBe(true);
    expect((error as { data: { error: string } }).data.error).toBe('access_denied');
    expect((error as Error).message).toContain('approve access');
    expect((await browsing!).response?.status).toBe(400);
    expect(await tokenStore.load()).toBeUndefined();
  });

  it('surfaces invalid_grant for a code the server never issued', async () => {
    const { client } = makeClient();
    let state = '';
    const login = client.login({
      mode: 'paste',
      onUrl: (url) => void (state = new URL(url).searchParams.get('state')!),
      readPasted: async () =>
        `http://127.0.0.1/callback?code=never-issued&state=${state}&iss=${encodeURIComponent(server.issuer)}`,
    });
    const error = await login.catch((e: unknown) => e);
    expect(isDrawdownError(error, OAuthErrorCodes.TOKEN_REQUEST_FAILED)).toBe(true);
    expect((error as { data: Record<string, unknown> }).data).toMatchObject({
      error: 'invalid_grant',
      step: 'code exchange',
    });
  });

  it('signs in a confidential client with its secret, and names invalid_client when the secret is wrong', async () => {
    const good = makeClient({ clientId: server.confidentialClientId, clientSecret: server.confidentialClientSecret });
    await loopbackLogin(good.client);
    expect((await good.tokenStore.load())?.accessToken).toBeTruthy();

    const bad = makeClient({ clientId: server.confidentialClientId, clientSecret: 'not-the-secret' });
    const error = await loopbackLogin(bad.client).catch((e: unknown) => e);
    expect(isDrawdownError(error, OAuthErrorCodes.TOKEN_REQUEST_FAILED)).toBe(true);
    expect((error as { data: Record<string, unknown> }).data.error).toBe('invalid_client');
  });

  it('logs out by revoking the grant at the server and deleting the tokens', async () => {
    const { client, tokenStore, emitted } = makeClient();
    await loopbackLogin(client);
    const before = (await tokenStore.load())!;
    // A second client holding a copy of the same tokens, to see what the server thinks afterwards.
    const copy = makeClient({ tokenStore: memoryTokenStore({ ...before, expiresAt: 0 }) });

    expect(await client.logout()).toEqual({ hadTokens: true, revoked: true });
    expect(await tokenStore.load()).toBeUndefined();
    expect(await server.provider.RefreshToken.find(before.refreshToken!)).toBeUndefined();
    expect(emitted.at(-1)).toMatchObject({ event: 'auth.signed-out', payload: { revoked: true } });
    await expect(copy.client.accessToken()).rejects.toMatchObject({ code: OAuthErrorCodes.SIGN_IN_EXPIRED });
    await expect(client.accessToken()).rejects.toMatchObject({ code: OAuthErrorCodes.NOT_SIGNED_IN });
    expect(await client.logout()).toEqual({ hadTokens: false, revoked: false });
  });

  it('raises auth.expired, forgets the sign-in and says to sign in again when the refresh token has expired', async () => {
    server.refreshTokenTtlSeconds = 1;
    const clock = manualClock(Date.now());
    const { client, tokenStore, emitted } = makeClient({ clock });
    await loopbackLogin(client);
    clock.advance(2 * 3600_000); // the access token is past its expiry too
    await new Promise((resolve) => setTimeout(resolve, 2100)); // the server counts lifetimes in whole seconds

    const error = await client.strategy.credentials().catch((e: unknown) => e);
    expect(isDrawdownError(error, OAuthErrorCodes.SIGN_IN_EXPIRED)).toBe(true);
    expect((error as { data: Record<string, unknown> }).data.error).toBe('invalid_grant');
    expect((error as Error).message).toMatch(/sign in to .* again/);
    const expired = emitted.find((e) => e.event === 'auth.expired')?.payload as DrawdownEvents['auth.expired'];
    expect(expired).toMatchObject({ error: 'invalid_grant', issuer: new URL(server.issuer).href });
    expect(expired.message).toMatch(/sign in to .* again/);
    expect(await tokenStore.load()).toBeUndefined();
    expect(await client.status()).toMatchObject({ ready: false });
  });

  it('refreshes once when the API answers 401, however many requests saw it', async () => {
    const { client } = makeClient();
    await loopbackLogin(client);
    const before = await client.accessToken();
    server.resetTokenRequests();
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.strategy.onUnauthorized!()));
    expect(answers.every(Boolean)).toBe(true);
    expect(server.tokenRequests()).toBe(1);
    expect(await client.accessToken()).not.toBe(before);
  });

  it('gives up a loopback login nobody finishes, with a message to run it again', async () => {
    const { client } = makeClient({ loginTimeoutMs: 200 });
    await expect(client.login({ onUrl: () => undefined })).rejects.toMatchObject({
      code: OAuthErrorCodes.LOGIN_TIMEOUT,
    });
  });

  it('names the issuer when its metadata cannot be read', async () => {
    const { client } = makeClient({ issuer: 'http://127.0.0.1:9' });
    const error = await client.login({ onUrl: () => undefined }).catch((e: unknown) => e);
    expect(isDrawdownError(error, OAuthErrorCodes.DISCOVERY_FAILED)).toBe(true);
    expect((error as Error).message).toContain('http://127.0.0.1:9/');
  });

  it('reports not signed in before any login', async () => {
    const { client } = makeClient();
    expect(await client.status()).toMatchObject({
      ready: false,
      detail: `not signed in to ${new URL(server.issuer).host}`,
    });
    await expect(client.strategy.credentials()).rejects.toMatchObject({ code: OAuthErrorCodes.NOT_SIGNED_IN });
    expect(() => client.strategy.childEnv({})).toThrow(/no current access token/);
  });
});

describe('oauth options are checked when the client is made', () => {
  const base = { issuer: 'https://auth.example.com', clientId: 'app' };
  it.each([
    [{ ...base, issuer: 'http://auth.example.com' }, 'issuer'],
    [{ ...base, issuer: 'not a url' }, 'issuer'],
    [{ ...base, clientId: '' }, 'clientId'],
    [{ ...base, clientSecret: '' }, 'clientSecret'],
    [{ ...base, scopes: ['has space'] }, 'scopes'],
    [{ ...base, redirectPort: 70_000 }, 'redirectPort'],
    [{ ...base, refreshSkewMs: -1 }, 'refreshSkewMs'],
    [{ ...base, id: 'no spaces please' }, 'id'],
    [{ ...base, tokenStore: {} as never }, 'tokenStore'],
    [{ ...base, discovery: 'saml' as never }, 'discovery'],
  ])('refuses %j naming the field', (options, field) => {
    let error: unknown;
    try {
      createOAuthClient(options as OAuthClientOptions);
    } catch (e) {
      error = e;
    }
    expect(isDrawdownError(error, 'DRAWDOWN_INVALID_OPTION')).toBe(true);
    expect((error as { data: { field: string } }).data.field).toBe(field);
  });

  it('accepts http only for a loopback issuer', () => {
    expect(() =>
      createOAuthClient({ issuer: 'http://localhost:8080', clientId: 'app', tokenStore: memoryTokenStore() }),
    ).not.toThrow();
  });
});
