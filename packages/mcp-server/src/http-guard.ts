import { createHash, timingSafeEqual } from 'node:crypto';
import {
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from '@modelcontextprotocol/server';

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
export const isWildcard = (host: string): boolean => WILDCARD.has(host);

export interface GuardOptions {
  host: string;
  allowedHosts?: string[] | undefined;
  allowedOrigins?: string[] | undefined;
  bearerToken?: string | undefined;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function unauthorized(): Response {
  return Response.json(
    {
      jsonrpc: '2.0',
      error: {
        code: -32001,
        message: 'Unauthorized: send Authorization: Bearer <token> with the token this server was started with.',
      },
      id: null,
    },
    { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="drawdown"' } },
  );
}

/**
 * DNS-rebinding and access protection in front of the MCP endpoint: the Host header must name this
 * server, a browser Origin must be allowed, and when a bearer token is configured it must be sent.
 * Returns the refusal, or undefined when the request may proceed.
 */
export function createGuard(options: GuardOptions): (request: Request) => Response | undefined {
  const hosts =
    options.allowedHosts ??
    (isWildcard(options.host)
      ? undefined
      : [
          ...new Set([
            ...localhostAllowedHostnames(),
            options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host,
          ]),
        ]);
  const origins = options.allowedOrigins ?? localhostAllowedOrigins();
  const expected = options.bearerToken === undefined ? undefined : digest(options.bearerToken);
  return (request) => {
    // A wildcard bind with no allow-list cannot know its own names; the required bearer token guards it.
    const hostRefusal = hosts === undefined ? undefined : hostHeaderValidationResponse(request, hosts);
    if (hostRefusal) return hostRefusal;
    const originRefusal = originValidationResponse(request, origins);
    if (originRefusal) return originRefusal;
    if (expected) {
      const match = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '');
      if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) return unauthorized();
    }
    return undefined;
  };
}
