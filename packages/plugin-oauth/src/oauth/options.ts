import { invalidOption, type Clock, type EventBus, type Logger } from '@drawdown/core';
import type { TokenStore } from './token-store.js';

export interface OAuthClientOptions {
  /** Strategy id used in routes, and the token file's name. Default `oauth`. */
  id?: string;
  /**
   * The authorization server the integrator is entitled to use (its own gateway or identity
   * provider), e.g. `https://auth.example.com`. https, or http on 127.0.0.1 / localhost only.
   */
  issuer: string | URL;
  /** The client id registered with that server. drawdown ships none. */
  clientId: string;
  /** For a confidential client; public (native) clients leave it out and rely on PKCE. */
  clientSecret?: string;
  /** Default `["openid", "offline_access"]` (offline_access asks for a refresh token). */
  scopes?: string[];
  /** Port for the loopback redirect. Default 0: a free port picked at login (RFC 8252). */
  redirectPort?: number;
  /** Where tokens live. Default `fileTokenStore({ name: id })` in the user's config directory. */
  tokenStore?: TokenStore;
  /** Refresh this long before the access token expires. Default 60 000 ms. */
  refreshSkewMs?: number;
  /** Open the sign-in page in a browser (loopback mode), or a function that does. Default true. */
  openBrowser?: boolean | ((url: string) => void | Promise<void>);
  /** Metadata document to read: OpenID (`oidc`) or RFC 8414 (`oauth2`). Default: oidc, then oauth2. */
  discovery?: 'oidc' | 'oauth2';
  /**
   * Redirect URI for `mode: "paste"`: a page of the integrator's that shows the code, or a loopback
   * address that will not load (the user copies the address bar). Default `http://127.0.0.1/callback`.
   */
  pasteRedirectUri?: string;
  /** How long a login waits for the browser. Default 300 000 ms. */
  loginTimeoutMs?: number;
  /** Time source for expiry checks. Default: the hub's clock, else the system clock. */
  clock?: Clock;
  /** Diagnostics. Default: the hub's logger, else warnings to stderr. */
  logger?: Logger;
  /** Where `auth.*` events go. Default: the hub's event bus when used as a plugin. */
  events?: Pick<EventBus, 'emit'>;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

export interface ValidatedOptions {
  id: string;
  issuer: URL;
  clientId: string;
  clientSecret?: string;
  scopes: string[];
  redirectPort: number;
  refreshSkewMs: number;
  loginTimeoutMs: number;
  pasteRedirectUri: string;
}

/** Checks every option when the client is made, naming the field that is wrong. */
export function validateOAuthOptions(options: OAuthClientOptions): ValidatedOptions {
  const id = options?.id ?? 'oauth';
  const owner = `oauth("${id}")`;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(id)) {
    throw invalidOption(
      owner,
      'id',
      'must be a short name of letters, digits, ".", "_" or "-"',
      'Use something like "gateway".',
    );
  }
  let issuer: URL;
  try {
    issuer = new URL(options.issuer);
  } catch {
    throw invalidOption(
      owner,
      'issuer',
      `is ${JSON.stringify(String(options?.issuer))}, not a URL`,
      'Use the authorization server URL, like "https://auth.example.com".',
    );
  }
  if (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && isLoopbackUrl(issuer))) {
    throw invalidOption(
      owner,
      'issuer',
      `is ${issuer.href}, which is not https`,
      'OAuth needs https; plain http is accepted only on 127.0.0.1 or localhost.',
    );
  }
  if (issuer.search || issuer.hash)
    throw invalidOption(owner, 'issuer', 'has a query or fragment', 'Use the bare issuer URL.');
  if (typeof options.clientId !== 'string' || options.clientId.trim() === '') {
    throw invalidOption(
      owner,
      'clientId',
      'is missing',
      'Pass the client id registered with your authorization server.',
    );
  }
  if (options.clientSecret !== undefined && (typeof options.clientSecret !== 'string' || options.clientSecret === '')) {
    throw invalidOption(owner, 'clientSecret', 'is empty', 'Pass the secret, or leave it out for a public client.');
  }
  const scopes = options.scopes ?? ['openid', 'offline_access'];
  if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || s === '' || /\s/.test(s))) {
    throw invalidOption(
      owner,
      'scopes',
      'must be a list of scope names without spaces',
      'Use something like ["openid", "offline_access"].',
    );
  }
  const redirectPort = options.redirectPort ?? 0;
  if (!Number.isInteger(redirectPort) || redirectPort < 0 || redirectPort > 65_535) {
    throw invalidOption(
      owner,
      'redirectPort',
      `is ${String(redirectPort)}`,
      'Use a port between 0 and 65535 (0 picks a free one).',
    );
  }
  const refreshSkewMs = options.refreshSkewMs ?? 60_000;
  if (!Number.isSafeInteger(refreshSkewMs) || refreshSkewMs < 0) {
    throw invalidOption(
      owner,
      'refreshSkewMs',
      `is ${String(refreshSkewMs)}`,
      'Use a number of milliseconds, like 60000.',
    );
  }
  const loginTimeoutMs = options.loginTimeoutMs ?? 300_000;
  if (!Number.isSafeInteger(loginTimeoutMs) || loginTimeoutMs <= 0) {
    throw invalidOption(
      owner,
      'loginTimeoutMs',
      `is ${String(loginTimeoutMs)}`,
      'Use a positive number of milliseconds, like 300000.',
    );
  }
  if (
    options.openBrowser !== undefined &&
    typeof options.openBrowser !== 'boolean' &&
    typeof options.openBrowser !== 'function'
  ) {
    throw invalidOption(
      owner,
      'openBrowser',
      'must be true, false or a function',
      'Pass false on machines without a browser.',
    );
  }
  if (options.discovery !== undefined && options.discovery !== 'oidc' && options.discovery !== 'oauth2') {
    throw invalidOption(
      owner,
      'discovery',
      `is "${String(options.discovery)}"`,
      'Use "oidc" or "oauth2", or leave it out to try both.',
    );
  }
  const store = options.tokenStore;
  if (
    store !== undefined &&
    !['load', 'save', 'clear', 'withLock'].every(
      (m) => typeof (store as unknown as Record<string, unknown>)[m] === 'function',
    )
  ) {
    throw invalidOption(owner, 'tokenStore', 'is not a token store', 'Use fileTokenStore() or memoryTokenStore().');
  }
  const pasteRedirectUri = options.pasteRedirectUri ?? 'http://127.0.0.1/callback';
  try {
    new URL(pasteRedirectUri);
  } catch {
    throw invalidOption(
      owner,
      'pasteRedirectUri',
      `is ${JSON.stringify(pasteRedirectUri)}, not a URL`,
      'Use the page that shows the code, like "https://auth.example.com/code".',
    );
  }
  return {
    id,
    issuer,
    clientId: options.clientId,
    ...(options.clientSecret !== undefined && { clientSecret: options.clientSecret }),
    scopes,
    redirectPort,
    refreshSkewMs,
    loginTimeoutMs,
    pasteRedirectUri,
  };
}
