import { Pool, type Dispatcher } from 'undici';

export interface UpstreamOptions {
  /** Base URL of the Anthropic API (or another gateway). Default `https://api.anthropic.com`. */
  url?: string;
  /** Connections kept to the upstream. Default 128. */
  connections?: number;
  /** Time to open a connection, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Time until the response headers arrive, ms. Default 600 000 (long non-streaming answers). */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks, ms. Default 300 000. */
  bodyTimeoutMs?: number;
}

/** A keep-alive connection pool to one upstream origin, with the base path of the URL kept. */
export function createUpstream(options: UpstreamOptions = {}) {
  const base = new URL(options.url ?? 'https://api.anthropic.com');
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError(`upstream URL must be http or https, not ${base.protocol}`);
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, {
    connections: options.connections ?? 128,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    headersTimeout: options.headersTimeoutMs ?? 600_000,
    bodyTimeout: options.bodyTimeoutMs ?? 300_000,
  });
  return {
    origin: base.origin,
    request(
      path: string,
      init: { method: Dispatcher.HttpMethod; headers: Record<string, string>; body?: Buffer; signal?: AbortSignal },
    ): Promise<Dispatcher.ResponseData> {
      return pool.request({
        path: prefix + path,
        method: init.method,
        headers: init.headers,
        ...(init.body !== undefined && { body: init.body }),
        ...(init.signal && { signal: init.signal }),
      });
    },
    close: () => pool.close(),
  };
}

export type Upstream = ReturnType<typeof createUpstream>;
