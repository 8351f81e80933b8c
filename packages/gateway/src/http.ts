import type { IncomingMessage } from 'node:http';
import type { SdkCredentials } from '@drawdown/core';
import type { Dispatcher } from 'undici';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
]);
/** Never forwarded upstream: the client's drawdown key, its cookies, the gateway token, and encodings we would have to undo to read usage. */
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP,
  'host',
  'x-api-key',
  'authorization',
  'cookie',
  'proxy-authorization',
  'x-drawdown-gateway-token',
  'accept-encoding',
]);

/** A request target that needs no normalising: no dot segments, doubled or back slashes, or escapes. */
const PLAIN_TARGET = /^\/(?!.*(?:\/\.|\/\/|[%\\]))[^?#]*(\?[^#]*)?$/;

/**
 * The path and query of a request. Plain targets (every SDK and tool sends those) are split as they
 * are, without building a URL per request; anything else goes through the URL parser, so a path is
 * matched and forwarded in the same normalised form.
 */
export function requestTarget(raw: string): { path: string; search: string } {
  if (PLAIN_TARGET.test(raw)) {
    const q = raw.indexOf('?');
    return q < 0 ? { path: raw, search: '' } : { path: raw.slice(0, q), search: raw.slice(q) };
  }
  const url = new URL(raw, 'http://gateway.invalid');
  return { path: url.pathname, search: url.search };
}

/** The drawdown key a request presents, as `x-api-key` or `Authorization: Bearer`. */
export function presentedKey(req: IncomingMessage): string | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key !== '') return key.trim();
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s/i.test(auth)) return auth.slice(7).trim();
  return undefined;
}

/** The whole request body, or `too-large` (the rest is drained) once it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too-large');
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** The client's headers for the upstream: its own credentials out, the route entry's in. */
export function upstreamHeaders(
  req: IncomingMessage,
  credentials: SdkCredentials,
  length: number | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const incoming = req.headers;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (credentials.defaultHeaders)
    for (const [name, value] of Object.entries(credentials.defaultHeaders)) {
      const lower = name.toLowerCase();
      // anthropic-beta lists combine: the strategy's (e.g. OAuth) and the tool's both apply.
      headers[lower] = lower === 'anthropic-beta' && headers[lower] ? `${headers[lower]},${value}` : value;
    }
  if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey;
  else if (credentials.authToken) headers.authorization = `Bearer ${credentials.authToken}`;
  if (length !== undefined) headers['content-length'] = String(length);
  return headers;
}

/** The upstream's response headers for the client, hop-by-hop ones left out, `extra` set on top. */
export function responseHeaders(
  headers: Dispatcher.ResponseData['headers'],
  extra?: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  if (extra) for (const name in extra) out[name] = extra[name]!;
  return out;
}

/** Reads an upstream error body's type and message (the API's shape), tolerating anything else. */
export function parseErrorBody(body: Buffer): { type?: string; message?: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { type?: string; message?: string } };
    return parsed?.error ?? {};
  } catch {
    return {};
  }
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
