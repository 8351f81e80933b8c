import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);

export interface GuardOptions {
  /** The address the server binds. */
  host: string;
  /** Host names (without port) a request may name; default the loopback names plus the bind address. */
  allowedHosts?: string[];
  /** Browser origins allowed; default loopback origins only. */
  allowedOrigins?: string[];
  /** When set, every request must send it as `x-drawdown-gateway-token`. */
  token?: string;
}

export type GuardRefusal = { status: 403 | 401; message: string };

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function hostName(host: string): string {
  // "[::1]:8080" → "[::1]"; "127.0.0.1:8080" → "127.0.0.1"
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1).toLowerCase();
  const colon = host.lastIndexOf(':');
  return (colon >= 0 ? host.slice(0, colon) : host).toLowerCase();
}

/**
 * DNS-rebinding and access protection, as in front of the MCP HTTP endpoint: the Host header must
 * name this server, a browser `Origin` must be a loopback one (or listed), and when the gateway
 * was started with a token (required for a non-loopback bind) the request must carry it.
 */
export function createGuard(options: GuardOptions): (req: IncomingMessage) => GuardRefusal | undefined {
  const bound = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  const hosts = options.allowedHosts
    ? new Set(options.allowedHosts.map((h) => h.toLowerCase()))
    : WILDCARD.has(options.host)
      ? undefined
      : new Set([...LOOPBACK_NAMES, bound.toLowerCase()]);
  const origins = options.allowedOrigins ? new Set(options.allowedOrigins) : undefined;
  const expected = options.token === undefined ? undefined : digest(options.token);
  return (req) => {
    const host = req.headers.host;
    if (hosts !== undefined && (host === undefined || !hosts.has(hostName(host)))) {
      return {
        status: 403,
        message: `drawdown gateway: Host "${host ?? ''}" is not this gateway's address; use ANTHROPIC_BASE_URL=http://127.0.0.1:<port> (or start the gateway with --allowed-host)`,
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let allowed = false;
      if (origins) allowed = origins.has(origin);
      else {
        try {
          allowed = isLoopbackHost(new URL(origin).hostname);
        } catch {
          allowed = false;
        }
      }
      if (!allowed)
        return { status: 403, message: `drawdown gateway: requests from the web page at ${origin} are not allowed` };
    }
    if (expected) {
      const sent = req.headers['x-drawdown-gateway-token'];
      if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), expected)) {
        return {
          status: 401,
          message:
            'drawdown gateway: this gateway needs its access token; send it as the x-drawdown-gateway-token header (Claude Code: ANTHROPIC_CUSTOM_HEADERS="x-drawdown-gateway-token: <token>")',
        };
      }
    }
    return undefined;
  };
}
