import { timingSafeEqual } from 'node:crypto';
import {
  DrawdownError,
  ErrorCodes,
  childEnvForOwnSignIn,
  isDrawdownError,
  stderrLogger,
  systemClock,
  type AuthStatus,
  type AuthStrategy,
  type ChildEnv,
  type Clock,
  type DrawdownEventName,
  type DrawdownEvents,
  type EventBus,
  type Logger,
  type SdkCredentials,
} from '@drawdown/core';
import * as oauth from 'oauth4webapi';
import { OAuthErrorCodes } from '../errors.js';
import '../events.js';
import { fileTokenStore } from './file-token-store.js';
import { listenForRedirect, type LoopbackCallback } from './loopback.js';
import { openInBrowser } from './open-browser.js';
import { isLoopbackUrl, validateOAuthOptions, type OAuthClientOptions } from './options.js';
import { parsePastedRedirect, readLineFromStdin } from './paste.js';
import { fromServerError, type OAuthStep } from './server-errors.js';
import type { StoredTokens, TokenStore } from './token-store.js';

/** The header Anthropic requires next to an OAuth bearer token. */
export const OAUTH_BETA_HEADER = { 'anthropic-beta': 'oauth-2025-04-20' } as const;

export interface LoginOptions {
  /** `loopback` (default): a browser redirect to 127.0.0.1. `paste`: the user pastes the redirect back. */
  mode?: 'loopback' | 'paste';
  /** Receives the sign-in URL to show; default prints it to stderr. */
  onUrl?: (url: string) => void | Promise<void>;
  /** Paste mode: returns what the user pasted. Default reads a line from stdin. */
  readPasted?: () => Promise<string>;
}

export interface LoginResult {
  issuer: string;
  /** Who signed in, when the server said (email, preferred_username or sub). */
  account?: string;
  expiresAt?: number;
  scope?: string;
}

export interface LogoutResult {
  /** Tokens were stored before the logout. */
  hadTokens: boolean;
  /** The server confirmed revocation (false when it offers no revocation endpoint or failed). */
  revoked: boolean;
}

/** A standard OAuth 2.1 client (authorization code + PKCE, refresh, revocation) and its strategy. */
export interface OAuthClient {
  readonly id: string;
  readonly issuer: string;
  readonly tokenStore: TokenStore;
  login(options?: LoginOptions): Promise<LoginResult>;
  /** Revokes the tokens at the server (when it offers revocation) and deletes them. */
  logout(): Promise<LogoutResult>;
  /** A valid access token, refreshed first when it expires within `refreshSkewMs`. Single-flight. */
  accessToken(): Promise<string>;
  /** Refreshes even though the token looks valid (the API answered 401). True when a new token came. */
  forceRefresh(): Promise<boolean>;
  status(): Promise<AuthStatus>;
  /** The auth strategy (kind `oauth`) the hub registers. */
  readonly strategy: AuthStrategy;
  /** Routes `auth.*` events, logs and time through a hub (done by the `oauth()` plugin's setup). */
  attach(hub: { events?: Pick<EventBus, 'emit'>; logger?: Logger; clock?: Clock }): void;
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Creates the OAuth client the `oauth()` plugin and `drawdown login` use. Options are checked
 * here; nothing touches the network until `login`, `accessToken` or `logout`.
 */
export function createOAuthClient(options: OAuthClientOptions): OAuthClient {
  const config = validateOAuthOptions(options);
  const { id, clientId } = config;
  const issuer = config.issuer.href;
  const store = options.tokenStore ?? fileTokenStore({ name: id });
  const insecureOk = isLoopbackUrl(config.issuer);
  const http = (): { signal: AbortSignal; [oauth.allowInsecureRequests]?: boolean } => ({
    ...(insecureOk && { [oauth.allowInsecureRequests]: true }),
    signal: AbortSignal.timeout(30_000),
  });
  const client: oauth.Client = { client_id: clientId };
  let events = options.events;
  let logger = options.logger ?? stderrLogger();
  let clock = options.clock ?? systemClock;
  let metadata: Promise<oauth.AuthorizationServer> | undefined;
  let cached: StoredTokens | undefined;
  let refreshing: Promise<StoredTokens> | undefined;
  const forced = new Map<string, Promise<StoredTokens>>();

  const emit = <E extends DrawdownEventName>(event: E, payload: DrawdownEvents[E]): void =>
    events?.emit(event, payload);
  const signInAgain = `run \`drawdown login\` (or your app's sign-in) to sign in to ${config.issuer.host} again`;

  async function discover(): Promise<oauth.AuthorizationServer> {
    const algorithms = options.discovery ? [options.discovery] : (['oidc', 'oauth2'] as const);
    let last: unknown;
    for (const algorithm of algorithms) {
      try {
        const response = await oauth.discoveryRequest(config.issuer, { ...http(), algorithm });
        return await oauth.processDiscoveryResponse(config.issuer, response);
      } catch (error) {
        last = error;
      }
    }
    throw fromServerError(last, issuer, 'discovery');
  }

  const server = (): Promise<oauth.AuthorizationServer> => {
    metadata ??= discover().catch((error: unknown) => {
      metadata = undefined; // a failed discovery is retried next time
      throw error;
    });
    return metadata;
  };

  const clientAuth = (as: oauth.AuthorizationServer): oauth.ClientAuth => {
    if (config.clientSecret === undefined) return oauth.None();
    const methods = as.token_endpoint_auth_methods_supported;
    return methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')
      ? oauth.ClientSecretPost(config.clientSecret)
      : oauth.ClientSecretBasic(config.clientSecret);
  };

  const call = async <T>(step: OAuthStep, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw fromServerError(error, issuer, step);
    }
  };

  const toStored = (result: oauth.TokenEndpointResponse, previous?: StoredTokens): StoredTokens => {
    const now = clock.now();
    const claims = oauth.getValidatedIdTokenClaims(result);
    const named = claims?.email ?? claims?.preferred_username ?? claims?.sub ?? previous?.account;
    const refreshToken = result.refresh_token ?? previous?.refreshToken;
    const scope = result.scope ?? previous?.scope;
    return {
      version: 1,
      issuer,
      clientId,
      accessToken: result.access_token,
      tokenType: result.token_type,
      ...(refreshToken !== undefined && { refreshToken }),
      ...(result.expires_in !== undefined && { expiresAt: now + result.expires_in * 1000 }),
      ...(scope !== undefined && { scope }),
      ...(typeof named === 'string' && { account: named }),
      obtainedAt: now,
    };
  };

  const ours = (tokens: StoredTokens | undefined): StoredTokens | undefined =>
    tokens && tokens.issuer === issuer && tokens.clientId === clientId ? tokens : undefined;
  const fresh = (tokens: StoredTokens): boolean =>
    tokens.expiresAt === undefined || tokens.expiresAt - config.refreshSkewMs > clock.now();
  const notSignedIn = (): DrawdownError =>
    new DrawdownError(
      OAuthErrorCodes.NOT_SIGNED_IN,
      `not signed in to ${config.issuer.host}; ${signInAgain.replace(' again', '')}`,
      { data: { strategy: id, issuer } },
    );

  /** The sign-in cannot be renewed: forget it (for every process sharing the store), then say so. */
  async function expire(error: string, errorDescription?: string): Promise<DrawdownError> {
    await store.clear();
    cached = undefined;
    const message = `your sign-in to ${config.issuer.host} has expired; ${signInAgain}`;
    emit('auth.expired', { strategyId: id, issuer, error, message, at: clock.now() });
    return new DrawdownError(OAuthErrorCodes.SIGN_IN_EXPIRED, message, {
      data: {
        strategy: id,
        issuer,
        step: 'refresh',
        error,
        ...(errorDescription !== undefined && { errorDescription }),
      },
    });
  }

  async function refreshWith(current: StoredTokens): Promise<StoredTokens> {
    if (current.refreshToken === undefined) throw await expire('no_refresh_token');
    const as = await server();
    let result: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth(as), current.refreshToken, http());
      result = await oauth.processRefreshTokenResponse(as, client, response);
    } catch (error) {
      const mapped = fromServerError(error, issuer, 'refresh');
      if (isDrawdownError(mapped, OAuthErrorCodes.TOKEN_REQUEST_FAILED) && mapped.data.error === 'invalid_grant') {
        throw await expire(mapped.data.error, mapped.data.errorDescription);
      }
      throw mapped;
    }
    const next = toStored(result, current);
    await store.save(next);
    cached = next;
    emit('auth.refreshed', {
      strategyId: id,
      issuer,
      ...(next.expiresAt !== undefined && { expiresAt: next.expiresAt }),
      at: clock.now(),
    });
    return next;
  }

  /**
   * Returns usable tokens. `stale` is a token the API refused: anything else counts as renewed.
   * The check is repeated under the store's lock, so when many callers (or processes) race, the
   * first refreshes and the rest read its result.
   */
  async function renew(stale?: string): Promise<StoredTokens> {
    const usable = (tokens: StoredTokens): boolean =>
      stale === undefined ? fresh(tokens) : tokens.accessToken !== stale;
    const seen = ours(await store.load());
    if (!seen) throw notSignedIn();
    if (usable(seen)) return (cached = seen);
    return store.withLock(async () => {
      const current = ours(await store.load());
      if (!current) throw notSignedIn();
      if (usable(current)) return (cached = current);
      return refreshWith(current);
    });
  }

  async function accessToken(): Promise<string> {
    if (cached && fresh(cached)) return cached.accessToken;
    refreshing ??= renew().finally(() => (refreshing = undefined));
    return (await refreshing).accessToken;
  }

  async function forceRefresh(): Promise<boolean> {
    const stale = cached?.accessToken ?? ours(await store.load())?.accessToken;
    if (stale === undefined) throw notSignedIn();
    let pending = forced.get(stale);
    if (!pending) {
      pending = renew(stale).finally(() => forced.delete(stale));
      forced.set(stale, pending);
    }
    return (await pending).accessToken !== stale;
  }

  interface Redirect {
    params: URLSearchParams;
    redirectUri: string;
    reply?: LoopbackCallback['respond'];
    close(): Promise<void>;
  }

  async function receiveRedirect(
    mode: 'loopback' | 'paste',
    login: LoginOptions,
    authorize: (redirectUri: string) => Promise<void>,
  ): Promise<Redirect> {
    if (mode === 'paste') {
      await authorize(config.pasteRedirectUri);
      const pasted = await (
        login.readPasted ?? (() => readLineFromStdin('Paste the address the browser ended on (or code#state): '))
      )();
      return {
        params: parsePastedRedirect(pasted, (await server()).issuer),
        redirectUri: config.pasteRedirectUri,
        close: async () => undefined,
      };
    }
    const listener = await listenForRedirect(config.redirectPort);
    let timer: NodeJS.Timeout | undefined;
    try {
      await authorize(listener.redirectUri);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new DrawdownError(
                OAuthErrorCodes.LOGIN_TIMEOUT,
                `nobody finished signing in within ${Math.round(config.loginTimeoutMs / 1000)} s; run the login again`,
                { data: { issuer, timeoutMs: config.loginTimeoutMs } },
              ),
            ),
          config.loginTimeoutMs,
        );
      });
      const callback = await Promise.race([listener.callback, timeout]);
      return {
        params: callback.url.searchParams,
        redirectUri: listener.redirectUri,
        reply: callback.respond,
        close: listener.close,
      };
    } catch (error) {
      await listener.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async function login(loginOptions: LoginOptions = {}): Promise<LoginResult> {
    const mode = loginOptions.mode ?? 'loopback';
    if (mode !== 'loopback' && mode !== 'paste') {
      throw new DrawdownError(
        ErrorCodes.INVALID_OPTION,
        `login: option "mode" is "${String(mode)}". Use "loopback" or "paste".`,
        { data: { owner: 'login', field: 'mode' } },
      );
    }
    const as = await server();
    if (!as.authorization_endpoint || !as.token_endpoint) {
      throw new DrawdownError(
        OAuthErrorCodes.DISCOVERY_FAILED,
        `${issuer} does not publish an authorization and a token endpoint; it cannot be used for sign-in`,
        { data: { issuer, step: 'discovery' } },
      );
    }
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const challenge = await oauth.calculatePKCECodeChallenge(verifier);

    const authorize = async (redirectUri: string): Promise<void> => {
      const url = new URL(as.authorization_endpoint!);
      url.searchParams.set('client_id', clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('scope', config.scopes.join(' '));
      url.searchParams.set('state', state);
      url.searchParams.set('code_challenge', challenge);
      url.searchParams.set('code_challenge_method', 'S256');
      // OpenID Connect issues a refresh token for offline_access only after explicit consent.
      if (config.scopes.includes('offline_access')) url.searchParams.set('prompt', 'consent');
      const show =
        loginOptions.onUrl ??
        ((u: string) => void process.stderr.write(`Sign in to ${config.issuer.host} in your browser:\n${u}\n`));
      await show(url.href);
      if (mode === 'loopback' && options.openBrowser !== false) {
        if (typeof options.openBrowser === 'function') await options.openBrowser(url.href);
        else openInBrowser(url.href);
      }
    };

    const { params, redirectUri, reply, close } = await receiveRedirect(mode, loginOptions, authorize);
    try {
      const returned = params.get('state');
      if (returned === null || !sameText(returned, state)) {
        throw new DrawdownError(
          OAuthErrorCodes.STATE_MISMATCH,
          'the sign-in redirect carried a state this login did not send, so it was refused (it may be forged or from an older attempt); run the login again',
          { data: { issuer } },
        );
      }
      const validated = await call('authorization', async () => oauth.validateAuthResponse(as, client, params, state));
      const result = await call('code exchange', async () => {
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          clientAuth(as),
          validated,
          redirectUri,
          verifier,
          http(),
        );
        return oauth.processAuthorizationCodeResponse(as, client, response);
      });
      const tokens = toStored(result);
      await store.withLock(() => store.save(tokens));
      cached = tokens;
      emit('auth.signed-in', {
        strategyId: id,
        issuer,
        ...(tokens.account !== undefined && { account: tokens.account }),
        ...(tokens.expiresAt !== undefined && { expiresAt: tokens.expiresAt }),
        at: clock.now(),
      });
      reply?.({
        ok: true,
        message: `Signed in to ${config.issuer.host}. You can close this tab and return to the terminal.`,
      });
      return {
        issuer,
        ...(tokens.account !== undefined && { account: tokens.account }),
        ...(tokens.expiresAt !== undefined && { expiresAt: tokens.expiresAt }),
        ...(tokens.scope !== undefined && { scope: tokens.scope }),
      };
    } catch (error) {
      reply?.({ ok: false, message: error instanceof Error ? error.message : 'Sign-in failed.' });
      throw error;
    } finally {
      await close();
    }
  }

  async function logout(): Promise<LogoutResult> {
    return store.withLock(async () => {
      const tokens = ours(await store.load());
      let revoked = false;
      if (tokens) {
        try {
          const as = await server();
          if (as.revocation_endpoint) {
            // Revoking the refresh token ends the grant; the access token is revoked for servers that keep them apart.
            for (const token of [tokens.refreshToken, tokens.accessToken]) {
              if (token === undefined) continue;
              await call('revocation', async () =>
                oauth.processRevocationResponse(
                  await oauth.revocationRequest(as, client, clientAuth(as), token, http()),
                ),
              );
            }
            revoked = true;
          }
        } catch (error) {
          logger.warn(
            `signing out of ${config.issuer.host}: the tokens could not be revoked at the server (${error instanceof Error ? error.message : String(error)}); they were deleted here`,
          );
        }
        await store.clear();
      }
      cached = undefined;
      emit('auth.signed-out', { strategyId: id, issuer, revoked, at: clock.now() });
      return { hadTokens: tokens !== undefined, revoked };
    });
  }

  async function status(): Promise<AuthStatus> {
    let tokens: StoredTokens | undefined;
    try {
      tokens = ours(await store.load());
    } catch (error) {
      return {
        ready: false,
        detail: isDrawdownError(error) ? error.message : `the token store ${store.location} cannot be read`,
        hint: `sign in to ${config.issuer.host} again`,
      };
    }
    if (!tokens)
      return {
        ready: false,
        detail: `not signed in to ${config.issuer.host}`,
        hint: signInAgain.replace(' again', ''),
      };
    const who = tokens.account !== undefined ? ` as ${tokens.account}` : '';
    if (fresh(tokens)) return { ready: true, detail: `signed in to ${config.issuer.host}${who}` };
    if (tokens.refreshToken !== undefined)
      return {
        ready: true,
        detail: `signed in to ${config.issuer.host}${who}; the access token is renewed on next use`,
      };
    return { ready: false, detail: `the sign-in to ${config.issuer.host}${who} has expired`, hint: signInAgain };
  }

  const strategy: AuthStrategy = {
    id,
    kind: 'oauth',
    async credentials(): Promise<SdkCredentials> {
      return { authToken: await accessToken(), defaultHeaders: { ...OAUTH_BETA_HEADER } };
    },
    childEnv(base?: ChildEnv): ChildEnv {
      if (!cached || !fresh(cached)) {
        throw new DrawdownError(
          ErrorCodes.AUTH_UNAVAILABLE,
          `strategy "${id}" has no current access token for a child; call credentials() first, or ${signInAgain.replace(' again', '')}`,
          { data: { strategy: id } },
        );
      }
      // A bearer token for the child, and nothing Claude Code would prefer or fall back to.
      return { ...childEnvForOwnSignIn(base === undefined ? {} : { base }), ANTHROPIC_AUTH_TOKEN: cached.accessToken };
    },
    status,
    secrets: () => [cached?.accessToken, cached?.refreshToken].filter((s): s is string => s !== undefined),
    onUnauthorized: forceRefresh,
  };

  return {
    id,
    issuer,
    tokenStore: store,
    login,
    logout,
    accessToken,
    forceRefresh,
    status,
    strategy,
    attach(hub) {
      events = options.events ?? hub.events ?? events;
      logger = options.logger ?? hub.logger ?? logger;
      clock = options.clock ?? hub.clock ?? clock;
    },
  };
}
