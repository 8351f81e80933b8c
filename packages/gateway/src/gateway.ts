import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DrawdownError,
  ErrorCodes,
  headerRecord,
  isDrawdownError,
  rateLimitHeaderSubset,
  refusalKind,
  type Hub,
  type LimitSignal,
  type Pool,
  type RequestLease,
  type RouteEntry,
  type SdkCredentials,
} from '@drawdown/core';
import { estimateFromParams } from '@drawdown/core/anthropic';
import type { Dispatcher } from 'undici';
import { sendError } from './anthropic-errors.js';
import { GatewayErrorCodes } from './errors.js';
import { createGuard, isLoopbackHost } from './guard.js';
import { keySpend } from './key-budget.js';
import { keyVerifier, type KeyRecord } from './keys.js';
import { createSseUsageReader } from './sse-usage.js';
import { createUpstream, type UpstreamOptions } from './upstream.js';

/** An extra route the gateway serves (e.g. a dashboard page), behind the same Host/Origin/token guard. */
export interface GatewayRoute {
  method: string;
  /** Exact path, or a pattern tested against the path. */
  path: string | RegExp;
  /** `key`: only with a valid drawdown key (the handler gets its record). Default `none`. */
  auth?: 'none' | 'key';
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    context: { url: URL; hub: Hub; key?: KeyRecord },
  ): void | Promise<void>;
}

export interface GatewayOptions {
  hub: Hub;
  /** Where requests go, with each route entry's credentials. */
  upstream?: UpstreamOptions;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Required (with `token`) to bind anything but a loopback address. */
  allowRemote?: boolean;
  /** Shared secret every request must carry as `x-drawdown-gateway-token`; required for a non-loopback bind. */
  token?: string;
  /** Host names requests may name (default: loopback names and the bind address). */
  allowedHosts?: string[];
  /** Browser origins allowed (default: loopback origins). */
  allowedOrigins?: string[];
  /** Extra routes, matched before the "not forwarded" answer: the hook for pages served next to the API. */
  routes?: GatewayRoute[];
  /** Largest request body accepted, bytes. Default 32 MiB. */
  maxBodyBytes?: number;
  /** How long the hold of a key's own budget lives, ms. Default 15 minutes (like the hub's). */
  holdTtlMs?: number;
  /** How stale the cached key list may be before a request re-reads it, ms. Default 1000. */
  keysMaxAgeMs?: number;
  /**
   * Size holds as if `max_tokens` were at most this. Default: the request's own `max_tokens`, which
   * can never overspend. Claude Code asks for up to 128,000 output tokens, so on a small budget its
   * holds are refused although its answers would fit; a cap admits them, at the risk that one answer
   * longer than the cap overruns the budget by the difference (the charge is always the true cost).
   */
  holdMaxTokens?: number;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>`: what tools take as `ANTHROPIC_BASE_URL`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Resolves when every settle started so far has been recorded. */
  idle(): Promise<void>;
  /** Stops accepting, waits for open requests' settles, closes upstream connections. Does not close the hub. */
  close(): Promise<void>;
}

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
function requestTarget(raw: string): { path: string; search: string } {
  if (PLAIN_TARGET.test(raw)) {
    const q = raw.indexOf('?');
    return q < 0 ? { path: raw, search: '' } : { path: raw.slice(0, q), search: raw.slice(q) };
  }
  const url = new URL(raw, 'http://gateway.invalid');
  return { path: url.pathname, search: url.search };
}

function presentedKey(req: IncomingMessage): string | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key !== '') return key.trim();
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer\s/i.test(auth)) return auth.slice(7).trim();
  return undefined;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
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

function upstreamHeaders(
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
function responseHeaders(
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

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Reads an upstream error body's type and message (the API's shape), tolerating anything else. */
function parseErrorBody(body: Buffer): { type?: string; message?: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { type?: string; message?: string } };
    return parsed?.error ?? {};
  } catch {
    return {};
  }
}

/**
 * The drawdown gateway: a local HTTP endpoint speaking the Anthropic API for tools that only honour
 * `ANTHROPIC_BASE_URL`. Each `POST /v1/messages` is routed like `hub.begin` among the entries the
 * caller's drawdown key may use, forwarded with that entry's real credentials, streamed back
 * unchanged, and settled from the usage in the answer; the hold is released when the client leaves
 * early or the upstream fails.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { hub } = options;
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) {
    if (options.allowRemote !== true || !options.token) {
      throw new DrawdownError(
        GatewayErrorCodes.INVALID_OPTION,
        `gateway: binding ${host} exposes the gateway beyond this machine; it needs allowRemote: true and a token (CLI: --allow-remote and DRAWDOWN_GATEWAY_TOKEN)`,
        { data: { field: options.allowRemote === true ? 'token' : 'allowRemote' } },
      );
    }
  }
  if (options.token !== undefined && options.token.length < 16) {
    throw new DrawdownError(
      GatewayErrorCodes.INVALID_OPTION,
      'gateway: token is shorter than 16 characters; use a long random one (e.g. openssl rand -hex 32)',
      { data: { field: 'token' } },
    );
  }
  if (
    options.holdMaxTokens !== undefined &&
    !(Number.isSafeInteger(options.holdMaxTokens) && options.holdMaxTokens > 0)
  ) {
    throw new DrawdownError(
      GatewayErrorCodes.INVALID_OPTION,
      `gateway: holdMaxTokens is ${String(options.holdMaxTokens)}; use a positive whole number of tokens, like 16000`,
      { data: { field: 'holdMaxTokens' } },
    );
  }
  const holdMaxTokens = options.holdMaxTokens;
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const holdTtlMs = options.holdTtlMs ?? 15 * 60_000;
  const router = hub.router;
  const upstream = createUpstream(options.upstream);
  const keys = keyVerifier(hub.store, {
    ...(options.keysMaxAgeMs !== undefined && { maxAgeMs: options.keysMaxAgeMs }),
  });
  const spend = keySpend(hub, holdTtlMs);
  const guard = createGuard({
    host,
    ...(options.allowedHosts && { allowedHosts: options.allowedHosts }),
    ...(options.allowedOrigins && { allowedOrigins: options.allowedOrigins }),
    ...(options.token !== undefined && { token: options.token }),
  });
  const extraRoutes = options.routes ?? [];
  const pending = new Set<Promise<unknown>>();

  const track = (work: Promise<unknown>): void => {
    const settled = work
      .catch((error: unknown) => hub.logger.warn(`gateway: recording a request failed: ${messageOf(error)}`))
      .finally(() => pending.delete(settled));
    pending.add(settled);
  };

  /** Entries a key may not use: those outside its list, and delegated ones (no credentials to forward). */
  const excluded = new WeakMap<KeyRecord, Set<string>>();
  const excludedFor = (record: KeyRecord): Set<string> => {
    let set = excluded.get(record);
    if (!set) {
      const allowed = new Set(record.routes);
      set = new Set(
        router.entries.filter((e) => !allowed.has(e.id) || e.strategy.kind === 'delegated').map((e) => e.id),
      );
      excluded.set(record, set);
    }
    return set;
  };

  const observe = async (pool: Pool, signal: LimitSignal): Promise<void> => {
    if (!pool.observe) return;
    try {
      await pool.observe(signal);
    } catch (error) {
      hub.logger.warn(`pool "${pool.id}" failed to take a ${signal.source} signal into account: ${messageOf(error)}`);
    }
  };

  const observeHeaders = async (
    pool: Pool,
    headers: Dispatcher.ResponseData['headers'],
  ): Promise<Record<string, string>> => {
    if (!pool.observe) return {};
    const subset = rateLimitHeaderSubset(headerRecord(headers));
    if (Object.keys(subset).some((name) => name !== 'request-id'))
      await observe(pool, { source: 'headers', headers: subset, at: hub.clock.now() });
    return subset;
  };

  async function credentialsFor(entry: RouteEntry, lease?: RequestLease): Promise<SdkCredentials> {
    const credentials = lease ? await lease.credentials() : await entry.strategy.credentials();
    if (!credentials.apiKey && !credentials.authToken) {
      throw new DrawdownError(
        ErrorCodes.AUTH_UNAVAILABLE,
        `route entry "${entry.id}" has no credentials: its strategy "${entry.strategy.id}" gave neither an API key nor a token`,
        { data: { entryId: entry.id } },
      );
    }
    return credentials;
  }

  /** The answer when drawdown itself refuses: readable by a person, shown verbatim by Claude Code (402 is neither retried nor reworded). */
  const refuse = (res: ServerResponse, error: unknown): void => {
    if (
      isDrawdownError(error, ErrorCodes.ROUTE_EXHAUSTED) ||
      isDrawdownError(error, GatewayErrorCodes.KEY_BUDGET_EXHAUSTED)
    ) {
      sendError(res, 'billing_error', `drawdown: ${error.message}. Run "drawdown status" to see the pools.`);
    } else if (isDrawdownError(error, ErrorCodes.UNKNOWN_MODEL)) {
      sendError(res, 'invalid_request_error', `drawdown: ${error.message}`);
    } else if (isDrawdownError(error, ErrorCodes.AUTH_UNAVAILABLE)) {
      sendError(res, 'api_error', `drawdown gateway: ${error.message}`, { status: 500 });
    } else if (isDrawdownError(error)) {
      sendError(res, 'api_error', `drawdown gateway: ${error.message} (${error.code})`, { status: 500 });
    } else {
      hub.logger.warn(`gateway: unexpected failure: ${messageOf(error)}`);
      sendError(res, 'api_error', 'drawdown gateway: unexpected failure; the gateway log has details', { status: 500 });
    }
  };

  const noUsableEntry = (res: ServerResponse, record: KeyRecord): void =>
    sendError(
      res,
      'permission_error',
      `drawdown: key "${record.name}" may use no entry of the route (it lists ${record.routes.join(', ')}; delegated entries cannot be forwarded); create a key with --route <entry> from "drawdown which"`,
    );

  async function messages(req: IncomingMessage, res: ServerResponse, record: KeyRecord, target: string): Promise<void> {
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large')
      return sendError(res, 'request_too_large', `drawdown gateway: the request body is over ${maxBodyBytes} bytes`);
    let params: { model?: unknown; max_tokens?: unknown; stream?: unknown; messages?: unknown };
    try {
      params = JSON.parse(body.toString('utf8')) as typeof params;
      if (typeof params !== 'object' || params === null) throw new TypeError('not an object');
    } catch {
      return sendError(res, 'invalid_request_error', 'drawdown gateway: the request body is not a JSON object');
    }
    if (typeof params.model !== 'string')
      return sendError(res, 'invalid_request_error', 'model: Field required (drawdown needs it to price the request)');
    if (typeof params.max_tokens !== 'number')
      return sendError(res, 'invalid_request_error', 'max_tokens: Field required (drawdown sizes the hold from it)');
    const model = params.model;
    const streaming = params.stream === true;
    const exclude = excludedFor(record);
    if (exclude.size >= router.entries.length) return noUsableEntry(res, record);
    const requestId = randomUUID();
    // Every hold and charge of this request names the key it came through, so spend shows per tool.
    const client = { client: record.name };
    const abort = new AbortController();
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        clientGone = true;
        abort.abort();
      }
    });

    let holdEstimate: ReturnType<typeof estimateFromParams>;
    try {
      holdEstimate = estimateFromParams(params as Parameters<typeof estimateFromParams>[0], hub.rateCard);
    } catch (error) {
      return refuse(res, error);
    }
    if (holdMaxTokens !== undefined && holdEstimate.maxTokens > holdMaxTokens)
      holdEstimate = { ...holdEstimate, maxTokens: holdMaxTokens };
    const begin = (also: string[]): Promise<RequestLease> =>
      hub.begin({
        requestId,
        model,
        estimate: holdEstimate,
        exclude: also.length > 0 ? [...exclude, ...also] : [...exclude],
        meta: client,
      });

    let lease: RequestLease;
    try {
      lease = await begin([]);
    } catch (error) {
      return refuse(res, error);
    }
    try {
      await spend.reserve(record, requestId, lease.held);
    } catch (error) {
      await lease.release();
      return refuse(res, error);
    }
    const fail = async (error: unknown): Promise<void> => {
      await lease.fail(error);
      await spend.release(record, requestId);
    };
    const settle = async (usage: unknown, reportedModel: string | undefined): Promise<void> => {
      const settlement = await lease.settle({
        usage,
        meta: client,
        ...(reportedModel !== undefined && { model: reportedModel }),
      });
      await spend.settle(record, requestId, settlement.cost, reportedModel ?? model);
    };

    const refusedBy: string[] = [];
    for (;;) {
      let response: Dispatcher.ResponseData;
      try {
        const credentials = await credentialsFor(lease.entry, lease);
        response = await upstream.request(target, {
          method: 'POST',
          headers: upstreamHeaders(req, credentials, body.length),
          body,
          signal: abort.signal,
        });
      } catch (error) {
        await fail(error);
        if (clientGone) return;
        if (isDrawdownError(error)) return refuse(res, error);
        const code = (error as { code?: string }).code;
        const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
        return sendError(
          res,
          timeout ? 'timeout_error' : 'api_error',
          `drawdown gateway: the upstream ${upstream.origin} ${timeout ? 'timed out' : `failed: ${code ?? messageOf(error)}`}; nothing was charged`,
          { status: timeout ? 504 : 502, retry: true },
        );
      }
      const rateHeaders = await observeHeaders(lease.pool, response.headers);

      if (response.statusCode >= 400) {
        let errorBody: Buffer;
        try {
          errorBody = Buffer.from(await response.body.arrayBuffer());
        } catch (error) {
          await fail(error);
          if (!clientGone)
            sendError(
              res,
              'api_error',
              `drawdown gateway: the upstream's ${response.statusCode} answer broke off; nothing was charged`,
              { status: 502, retry: true },
            );
          return;
        }
        const { type, message } = parseErrorBody(errorBody);
        const headers =
          Object.keys(rateHeaders).length > 0 ? rateHeaders : rateLimitHeaderSubset(headerRecord(response.headers));
        await observe(lease.pool, {
          source: 'error',
          status: response.statusCode,
          ...(type !== undefined && { errorType: type }),
          ...(message !== undefined && { message }),
          headers,
          at: hub.clock.now(),
        });
        const refusal = refusalKind(response.statusCode, headers, message);
        const upstreamError = new DrawdownError(
          'DRAWDOWN_GATEWAY_UPSTREAM_REFUSED',
          `upstream answered ${response.statusCode}${type ? ` ${type}` : ''}`,
          { data: { status: response.statusCode } },
        );
        if (refusal !== undefined && refusedBy.length === 0 && !clientGone) {
          // The entry's pool cannot pay after all (plan window spent, credits out): once, like the metered client, try the next entry this key may use.
          await lease.fail(upstreamError, { retrying: true });
          refusedBy.push(lease.entry.id);
          try {
            lease = await begin(refusedBy);
            continue;
          } catch (routeError) {
            hub.logger.debug(`gateway: no other route entry can take the refused request: ${messageOf(routeError)}`);
            await spend.release(record, requestId);
          }
        } else {
          await fail(upstreamError);
        }
        if (clientGone) return;
        res.writeHead(
          response.statusCode,
          responseHeaders(response.headers, {
            'content-length': String(errorBody.length),
            ...(refusal !== undefined && { 'x-should-retry': 'false' }),
          }),
        );
        res.end(errorBody);
        return;
      }

      // An upstream that answers a stream request with JSON (or the reverse) is read by what it sent.
      const contentType = response.headers['content-type'];
      const isSse =
        (Array.isArray(contentType) ? contentType[0] : contentType)?.startsWith('text/event-stream') ?? streaming;
      if (!isSse) {
        let answer: Buffer;
        try {
          answer = Buffer.from(await response.body.arrayBuffer());
        } catch (error) {
          await fail(error);
          if (!clientGone)
            sendError(res, 'api_error', `drawdown gateway: the upstream answer broke off; nothing was charged`, {
              status: 502,
              retry: true,
            });
          return;
        }
        let usage: unknown;
        let reportedModel: string | undefined;
        try {
          const message = JSON.parse(answer.toString('utf8')) as { usage?: unknown; model?: string };
          usage = message.usage;
          reportedModel = typeof message.model === 'string' ? message.model : undefined;
        } catch {
          usage = undefined;
        }
        if (!clientGone) {
          res.writeHead(
            response.statusCode,
            responseHeaders(response.headers, { 'content-length': String(answer.length) }),
          );
          res.end(answer);
        }
        // The answer goes out first; the charge is recorded right after (idle() and close() wait for it).
        if (usage === undefined) {
          hub.logger.warn(
            `gateway: request ${requestId} got an answer without usage; its hold is released and nothing is charged`,
          );
          track(fail(new DrawdownError('DRAWDOWN_GATEWAY_NO_USAGE', 'the upstream answer carried no usage')));
        } else {
          track(settle(usage, reportedModel));
        }
        return;
      }

      await pipeStream(res, response, () => clientGone, abort).then((reader) => {
        const finish =
          reader.usage !== undefined
            ? settle(reader.usage, reader.model)
            : fail(
                new DrawdownError(
                  'DRAWDOWN_GATEWAY_STREAM_ENDED_EARLY',
                  'the stream ended before the message started; nothing was charged',
                ),
              );
        track(finish);
      });
      return;
    }
  }

  /**
   * Pipes the SSE body to the client unchanged, chunk by chunk with backpressure, reading usage as
   * it passes. Resolves with what was read when the stream ends, breaks or the client leaves (the
   * API bills what it generated, so an early end is settled from the usage reported so far).
   */
  function pipeStream(
    res: ServerResponse,
    response: Dispatcher.ResponseData,
    gone: () => boolean,
    abort: AbortController,
  ) {
    const reader = createSseUsageReader();
    if (!gone()) {
      res.writeHead(response.statusCode, responseHeaders(response.headers));
      res.flushHeaders();
    }
    const body = response.body;
    return new Promise<ReturnType<typeof createSseUsageReader>>((resolve) => {
      let done = false;
      const end = (): void => {
        if (done) return;
        done = true;
        res.off('drain', onDrain);
        resolve(reader);
      };
      const onDrain = (): void => void body.resume();
      res.on('drain', onDrain);
      res.once('close', () => {
        if (!res.writableFinished) {
          abort.abort();
          body.destroy();
          end();
        }
      });
      body.on('data', (chunk: Buffer) => {
        reader.push(chunk);
        if (!gone() && !res.write(chunk)) body.pause();
      });
      body.once('end', () => {
        if (!gone()) res.end();
        end();
      });
      body.once('error', () => {
        // Upstream broke off midway: the client sees the connection end, as it would from the API.
        if (!gone()) res.destroy();
        end();
      });
    });
  }

  /** count_tokens and the model list cost nothing: forwarded with the first entry the key may use, no hold. */
  async function passThrough(
    req: IncomingMessage,
    res: ServerResponse,
    record: KeyRecord,
    target: string,
    method: 'GET' | 'POST',
  ): Promise<void> {
    let body: Buffer | undefined;
    if (method === 'POST') {
      const read = await readBody(req, maxBodyBytes);
      if (read === 'too-large')
        return sendError(res, 'request_too_large', `drawdown gateway: the request body is over ${maxBodyBytes} bytes`);
      body = read;
    }
    const blocked: Parameters<typeof router.candidates>[1] = [];
    let entry: RouteEntry | undefined;
    for await (const candidate of router.candidates(excludedFor(record), blocked)) {
      entry = candidate.entry;
      break;
    }
    entry ??= router.entries.find((e) => !excludedFor(record).has(e.id));
    if (!entry) return noUsableEntry(res, record);
    const abort = new AbortController();
    res.on('close', () => !res.writableFinished && abort.abort());
    let response: Dispatcher.ResponseData;
    try {
      const credentials = await credentialsFor(entry);
      response = await upstream.request(target, {
        method,
        headers: upstreamHeaders(req, credentials, body?.length),
        ...(body && { body }),
        signal: abort.signal,
      });
    } catch (error) {
      if (isDrawdownError(error)) return refuse(res, error);
      return sendError(
        res,
        'api_error',
        `drawdown gateway: the upstream ${upstream.origin} failed: ${(error as { code?: string }).code ?? messageOf(error)}`,
        { status: 502, retry: true },
      );
    }
    await observeHeaders(entry.pool, response.headers);
    const answer = Buffer.from(await response.body.arrayBuffer());
    res.writeHead(response.statusCode, responseHeaders(response.headers, { 'content-length': String(answer.length) }));
    res.end(answer);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = guard(req);
    if (refusal)
      return sendError(res, refusal.status === 401 ? 'authentication_error' : 'permission_error', refusal.message, {
        status: refusal.status,
      });
    const { path, search } = requestTarget(req.url ?? '/');
    const target = path + search;
    const method = req.method ?? 'GET';
    const extra =
      extraRoutes.length === 0
        ? undefined
        : extraRoutes.find(
            (r) => r.method === method && (typeof r.path === 'string' ? r.path === path : r.path.test(path)),
          );
    const needsKey = extra ? extra.auth === 'key' : true;
    let record: KeyRecord | undefined;
    if (needsKey) {
      record = await keys.verify(presentedKey(req));
      if (!record) {
        req.resume();
        return sendError(
          res,
          'authentication_error',
          'drawdown gateway: invalid or revoked drawdown key; send the key from "drawdown keys create" as ANTHROPIC_API_KEY (x-api-key or Authorization: Bearer)',
        );
      }
    }
    if (extra)
      return extra.handle(req, res, {
        url: new URL(target, 'http://gateway.invalid'),
        hub,
        ...(record && { key: record }),
      });
    if (method === 'POST' && path === '/v1/messages') return messages(req, res, record!, target);
    if (method === 'POST' && path === '/v1/messages/count_tokens')
      return passThrough(req, res, record!, target, 'POST');
    if (method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/')))
      return passThrough(req, res, record!, target, 'GET');
    req.resume();
    sendError(
      res,
      'not_found_error',
      `drawdown gateway: ${method} ${path} is not forwarded; the gateway serves POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models (other endpoints could spend without being metered)`,
    );
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      hub.logger.warn(`gateway: a request failed: ${messageOf(error)}`);
      if (!res.headersSent)
        sendError(res, 'api_error', 'drawdown gateway: unexpected failure; the gateway log has details', {
          status: 500,
        });
      else res.destroy();
    });
  });
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const idle = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all([...pending]);
  };

  return {
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${port}`,
    port,
    server,
    idle,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await idle();
      keys.close();
      await upstream.close();
    },
  };
}
