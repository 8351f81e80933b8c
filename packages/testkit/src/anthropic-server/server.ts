import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  estimateInputTokens,
  formatSse,
  messageBody,
  newId,
  resolveMessage,
  streamEvents,
  usageJson,
} from './messages.js';
import { createAdminApi, type AdminApi, type AdminApiOptions } from './admin-api.js';
import { createBillingLog, type BilledRequest } from './billing.js';
import { replies, type ErrorReply, type MessageReply, type ScriptedReply, type StreamPoint } from './replies.js';

/** A request the server received. Credential headers are never recorded, only which credential matched. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased request headers without `x-api-key`, `authorization`, `cookie` and `proxy-authorization`. */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when there was none or it was not JSON). */
  body: Record<string, unknown> | undefined;
  /** Label of the configured credential the request carried; `unknown` for an unlisted one; absent without any. */
  credential?: string;
  /** How the credential was sent. */
  authScheme?: 'x-api-key' | 'bearer';
  /**
   * Every credential the request presented, in `x-api-key` and `Authorization: Bearer` both (a
   * client can send two); labels only, never values. Empty without any.
   */
  presented: Array<{ scheme: 'x-api-key' | 'bearer'; credential: string }>;
  /** `request-id` the server answered with. */
  requestId: string;
  /**
   * What the server answered: the status, and for a message the model and the `usage` it reported
   * (as sent, so a test can price exactly what the client was told).
   */
  reply?: { status: number; model?: string; usage?: Record<string, unknown> };
  /** Arrival time, epoch ms (wall clock). */
  at: number;
}

export interface AnthropicServerOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /**
   * Accepted credentials by label, e.g. `{ trial: 'sk-ant-trial', credits: 'sk-ant-credits' }`. When
   * set, a request without a listed `x-api-key` or `Authorization: Bearer` value gets a 401.
   */
  credentials?: Record<string, string>;
  /** Reply used when nothing is enqueued. Default: a short text message. */
  fallback?: (request: RecordedRequest) => ScriptedReply;
  /** Called with each request as it is recorded (the `serve` command logs them). */
  onRequest?: (request: RecordedRequest) => void;
  /** What `/v1/messages/count_tokens` answers. Default: the request's text at 4 characters per token. */
  countTokens?: (body: Record<string, unknown>) => number;
  /**
   * Serve the Admin API's usage and cost reports (`/v1/organizations/usage_report/messages`,
   * `/v1/organizations/cost_report`) from the requests this server billed, for these Admin keys.
   */
  admin?: AdminApiOptions;
}

export interface AnthropicServer {
  /** Base URL for the SDK's `baseURL`, e.g. `http://127.0.0.1:51234`. */
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /**
   * Every Messages request billed, oldest first, with the usage reported to the client — for an
   * aborted stream, what its events had reported by then. What a ledger must equal at rate-card prices.
   */
  readonly billing: readonly BilledRequest[];
  /** The usage and cost report endpoints, when `admin` was given. */
  readonly admin?: AdminApi;
  /** Queues replies for the next `/v1/messages` calls, first in first out. */
  enqueue(...replies: ScriptedReply[]): void;
  /** Replies still queued. */
  pending(): number;
  /** Clears the queue and the recorded requests. */
  reset(): void;
  /** Stops listening and cuts every open connection (stalled streams included). */
  close(): Promise<void>;
}

const SECRET_HEADERS = new Set(['x-api-key', 'authorization', 'cookie', 'proxy-authorization']);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Credentials in the request, `x-api-key` first (the one the API uses when both are sent). */
function presentedCredentials(req: IncomingMessage): Array<{ value: string; scheme: 'x-api-key' | 'bearer' }> {
  const found: Array<{ value: string; scheme: 'x-api-key' | 'bearer' }> = [];
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && key !== '') found.push({ value: key, scheme: 'x-api-key' });
  const auth = req.headers.authorization;
  const match = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  if (match) found.push({ value: match[1]!.trim(), scheme: 'bearer' });
  return found;
}

/** Paths Claude Code calls besides the Messages API, answered so it runs as against the real API. */
const HELLO_PATH = '/api/hello';

/**
 * Starts a loopback HTTP server that speaks the Anthropic Messages API closely enough for the real
 * `@anthropic-ai/sdk`, the Claude Code CLI and the Agent SDK: `POST /v1/messages` (JSON or SSE when
 * `stream: true`; Claude Code adds `?beta=true`), `POST /v1/messages/count_tokens`, `HEAD /api/hello`
 * (Claude Code's connectivity check), scripted usage, headers and error replies, and streams that stall
 * or break midway, and a billing log of what it reported. Bound to 127.0.0.1 only.
 */
export async function startAnthropicServer(options: AnthropicServerOptions = {}): Promise<AnthropicServer> {
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const labels = new Map(Object.entries(options.credentials ?? {}).map(([label, secret]) => [secret, label]));
  const fallback = options.fallback ?? (() => replies.message());
  const countTokens = options.countTokens ?? estimateInputTokens;
  // What the reports count, and what tests price: every message answered, at the usage it reported.
  const billing = createBillingLog();
  const billed = (): readonly BilledRequest[] => billing.entries;
  const admin = options.admin ? createAdminApi(options.admin, billed) : undefined;

  const sendError = (res: ServerResponse, requestId: string, reply: ErrorReply, record?: RecordedRequest): void => {
    if (record) record.reply = { status: reply.status };
    const body = {
      type: 'error',
      error: { type: reply.type, message: reply.message, ...(reply.details && { details: reply.details }) },
      request_id: requestId,
    };
    res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': requestId, ...reply.headers });
    res.end(JSON.stringify(body));
  };

  const sendMessage = (
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    reply: MessageReply,
    body: Record<string, unknown>,
    record: RecordedRequest,
  ): void => {
    const message = resolveMessage(reply, body);
    record.reply = { status: 200, model: message.model, usage: usageJson(message.usage) };
    const bill = {
      at: record.at,
      requestId,
      model: message.model,
      ...(record.credential && { credential: record.credential }),
    };
    if (body.stream !== true) {
      billing.answered({ ...bill, messageId: message.id, usage: usageJson(message.usage) });
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId, ...reply.headers });
      res.end(JSON.stringify(messageBody(message)));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'request-id': requestId,
      ...reply.headers,
    });
    res.flushHeaders();
    const script = reply.stream ?? {};
    if (script.stallAfter === 'headers') {
      req.socket.setTimeout(0);
      return;
    }
    const seen = new Set<StreamPoint | string>();
    const streamed = billing.stream(bill);
    for (const event of streamEvents(message, { nullInputInDelta: script.nullInputInDelta ?? false })) {
      res.write(formatSse(event));
      streamed.sent(event);
      const firstOfKind = !seen.has(event.event);
      seen.add(event.event);
      if (!firstOfKind) continue;
      if (script.stallAfter === event.event) {
        // Hold the connection open: the client's abort (or close()) ends it.
        req.socket.setTimeout(0);
        return;
      }
      if (script.dropAfter === event.event) {
        // End the socket without the final chunk: what the client sees when a connection breaks.
        res.socket?.end();
        return;
      }
      if (script.errorAfter?.point === event.event) {
        res.end(
          formatSse({
            event: 'error',
            data: {
              type: 'error',
              error: { type: script.errorAfter.type, message: script.errorAfter.message },
              request_id: requestId,
            },
          }),
        );
        return;
      }
    }
    res.end();
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newId('req');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = parseJson(await readBody(req));
    const all = presentedCredentials(req);
    const presented = all[0];
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!SECRET_HEADERS.has(name) && value !== undefined)
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers,
      body,
      ...(presented && { credential: labels.get(presented.value) ?? 'unknown', authScheme: presented.scheme }),
      presented: all.map((c) => ({ scheme: c.scheme, credential: labels.get(c.value) ?? 'unknown' })),
      requestId,
      at: Date.now(),
    };
    requests.push(record);
    options.onRequest?.(record);

    // Claude Code's connectivity check (HEAD, no credentials) before its first API call.
    if (url.pathname === HELLO_PATH && (req.method === 'HEAD' || req.method === 'GET')) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      res.end(req.method === 'GET' ? '{}' : undefined);
      return;
    }
    if (admin?.handle(req, res, url, requestId, (reply) => sendError(res, requestId, reply, record))) return;
    if (options.credentials && (!presented || !labels.has(presented.value)))
      return sendError(res, requestId, replies.unauthorized(), record);
    if (req.method !== 'POST' || (url.pathname !== '/v1/messages' && url.pathname !== '/v1/messages/count_tokens')) {
      return sendError(
        res,
        requestId,
        replies.error(404, 'not_found_error', `Not found: ${req.method} ${url.pathname}`),
        record,
      );
    }
    if (!body || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return sendError(
        res,
        requestId,
        replies.error(400, 'invalid_request_error', 'model: Field required; messages: Field required'),
        record,
      );
    }
    if (url.pathname === '/v1/messages/count_tokens') {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      res.end(JSON.stringify({ input_tokens: countTokens(body) }));
      return;
    }
    if (typeof body.max_tokens !== 'number')
      return sendError(
        res,
        requestId,
        replies.error(400, 'invalid_request_error', 'max_tokens: Field required'),
        record,
      );
    const reply = queue.shift() ?? fallback(record);
    if (reply.kind === 'error') return sendError(res, requestId, reply, record);
    sendMessage(req, res, requestId, reply, body, record);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendError(res, newId('req'), replies.error(500, 'api_error', `loopback server failed: ${String(error)}`));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    billing: billing.entries,
    ...(admin && { admin: admin.api }),
    enqueue: (...more) => void queue.push(...more),
    pending: () => queue.length,
    reset() {
      queue.length = 0;
      requests.length = 0;
      billing.entries.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
