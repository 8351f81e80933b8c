import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The one check in front of every drawdown HTTP server (gateway, MCP over HTTP, dashboard): DNS
 * rebinding and access protection. The Host header must name this server, a browser `Origin` must
 * be a loopback one (or listed), and when the server was started with a token the request must
 * carry it. Pure: the servers read the three values off their own request type with the adapters
 * below and turn a refusal into their protocol's body.
 */
export interface GuardPolicy {
  /** The address the server binds. A wildcard bind (`0.0.0.0`, `::`) cannot know its names: list them or rely on the token. */
  host: string;
  /** Host names (without port) a request may name; default the loopback names plus the bind address. */
  allowedHosts?: readonly string[] | undefined;
  /** Browser origins allowed, as full origins (`https://app.example`) or host names (`app.example`); default loopback origins only. */
  allowedOrigins?: readonly string[] | undefined;
  /** When set, every request must present it (where it is carried is the server's: see `GuardTokenSource`). */
  token?: string | undefined;
  /** How the refusals name the server and say where the token goes. */
  server: { name: string; tokenHint: string; hostHint: string };
}

/** What the guard reads off a request. */
export interface GuardedRequest {
  host: string | undefined;
  origin: string | undefined;
  token: string | undefined;
}

export const GuardErrorCodes = {
  /** The Host header does not name this server (a DNS-rebinding attempt, or a wrong address). */
  HOST_NOT_ALLOWED: 'DRAWDOWN_HOST_NOT_ALLOWED',
  /** A web page from another origin tried to call this server. */
  ORIGIN_NOT_ALLOWED: 'DRAWDOWN_ORIGIN_NOT_ALLOWED',
  /** The server was started with a token and the request did not carry it (or carried another). */
  TOKEN_REQUIRED: 'DRAWDOWN_TOKEN_REQUIRED',
} as const;

export type GuardErrorCode = (typeof GuardErrorCodes)[keyof typeof GuardErrorCodes];

/** A refusal in drawdown's error shape, with the HTTP status to answer it with. */
export interface GuardRefusal {
  status: 401 | 403;
  code: GuardErrorCode;
  message: string;
  hint: string;
}

/** Where a server's clients carry its token: the bearer `Authorization` header, or a header of its own. */
export type GuardTokenSource = { bearer: true } | { header: string };

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);

export const isWildcardHost = (host: string): boolean => WILDCARD.has(host);

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** "[::1]:8080" → "[::1]"; "127.0.0.1:8080" → "127.0.0.1". */
function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1).toLowerCase();
  const colon = host.lastIndexOf(':');
  return (colon >= 0 ? host.slice(0, colon) : host).toLowerCase();
}

function originAllowed(origin: string, listed: ReadonlySet<string> | undefined): boolean {
  if (listed?.has(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return listed ? listed.has(url.host) || listed.has(url.hostname) : isLoopbackHost(url.hostname);
}

/** Builds the check for one server; the returned function is what runs on every request. */
export function createRequestGuard(policy: GuardPolicy): (request: GuardedRequest) => GuardRefusal | undefined {
  const bound = policy.host.includes(':') && !policy.host.startsWith('[') ? `[${policy.host}]` : policy.host;
  const hosts = policy.allowedHosts
    ? new Set(policy.allowedHosts.map((h) => h.toLowerCase()))
    : isWildcardHost(policy.host)
      ? undefined
      : new Set([...LOOPBACK_NAMES, bound.toLowerCase()]);
  const origins = policy.allowedOrigins ? new Set(policy.allowedOrigins) : undefined;
  const expected = policy.token === undefined ? undefined : digest(policy.token);
  const { name, tokenHint, hostHint } = policy.server;
  return ({ host, origin, token }) => {
    if (hosts !== undefined && (host === undefined || !hosts.has(hostName(host)))) {
      return {
        status: 403,
        code: GuardErrorCodes.HOST_NOT_ALLOWED,
        message: `${name}: Host "${host ?? ''}" is not this server's address`,
        hint: hostHint,
      };
    }
    if (origin !== undefined && !originAllowed(origin, origins)) {
      return {
        status: 403,
        code: GuardErrorCodes.ORIGIN_NOT_ALLOWED,
        message: `${name}: requests from the web page at ${origin} are not allowed`,
        hint: 'Only pages served from this machine may call it; list other origins with --allowed-origin.',
      };
    }
    if (expected && (token === undefined || !timingSafeEqual(digest(token), expected))) {
      return {
        status: 401,
        code: GuardErrorCodes.TOKEN_REQUIRED,
        message: `${name}: this server needs the access token it was started with`,
        hint: tokenHint,
      };
    }
    return undefined;
  };
}

const bearer = (authorization: string | null | undefined): string | undefined => {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  return match ? match[1]!.trim() : undefined;
};

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** The guarded values of a Node request. */
export function guardedIncoming(req: IncomingMessage, source: GuardTokenSource): GuardedRequest {
  return {
    host: req.headers.host,
    origin: req.headers.origin,
    token: 'bearer' in source ? bearer(req.headers.authorization) : single(req.headers[source.header.toLowerCase()]),
  };
}

/** The guarded values of a web `Request`. */
export function guardedWeb(request: Request, source: GuardTokenSource): GuardedRequest {
  const { headers } = request;
  return {
    host: headers.get('host') ?? undefined,
    origin: headers.get('origin') ?? undefined,
    token: 'bearer' in source ? bearer(headers.get('authorization')) : (headers.get(source.header) ?? undefined),
  };
}

/** The body drawdown's own servers answer a refusal with. */
export const refusalBody = ({
  code,
  message,
  hint,
}: GuardRefusal): { code: string; message: string; hint: string } => ({
  code,
  message,
  hint,
});
