import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { invalidOption } from '../errors.js';
import type { Hub } from '../hub.js';
import { usd, type Nanos } from '../money.js';
import type { Settlement } from '../request-flow.js';
import { createSessionMeter, type ModelCounts } from './session-meter.js';

/**
 * One `claude_code.api_request` event as Claude Code (2.1.33x) exports it over OTLP logs when
 * `CLAUDE_CODE_ENABLE_TELEMETRY=1`: one per API call, with the model, the call's own token counts
 * (not cumulative), the 5-minute/1-hour cache-write split, its cost and the API's request id.
 */
export interface ClaudeCodeApiRequest {
  sessionId?: string;
  /** The API's `request-id` of the call: the idempotency key. */
  requestId?: string;
  /** `event.sequence`, used with the session id when a call has no request id. */
  sequence?: number;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  cacheCreation5mTokens?: number;
  cacheCreation1hTokens?: number;
  /** The agent's own price of the call, USD (a float). */
  costUsd?: number;
  /** `normal` or `fast`. */
  speed?: string;
  /** When the call ended, epoch ms. */
  at?: number;
}

type OtlpValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  [kind: string]: unknown;
};
interface OtlpLogRecord {
  timeUnixNano?: string | number;
  body?: OtlpValue;
  attributes?: Array<{ key: string; value?: OtlpValue }>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function scalar(value: OtlpValue | undefined): string | number | boolean | undefined {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  // OTLP/JSON may write 64-bit integers as strings.
  if (value.intValue !== undefined) return typeof value.intValue === 'string' ? Number(value.intValue) : value.intValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  return undefined;
}

const tokens = (value: unknown): number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;

/**
 * Picks the `claude_code.api_request` events out of an OTLP/HTTP JSON logs export body
 * (`{ resourceLogs: [{ scopeLogs: [{ logRecords: [...] }] }] }`); everything else is skipped.
 */
export function apiRequestsFromOtlpLogs(body: unknown): ClaudeCodeApiRequest[] {
  const found: ClaudeCodeApiRequest[] = [];
  if (!isObject(body) || !Array.isArray(body.resourceLogs)) return found;
  for (const resource of body.resourceLogs as unknown[]) {
    if (!isObject(resource) || !Array.isArray(resource.scopeLogs)) continue;
    for (const scope of resource.scopeLogs as unknown[]) {
      if (!isObject(scope) || !Array.isArray(scope.logRecords)) continue;
      for (const record of scope.logRecords as OtlpLogRecord[]) {
        const attributes: Record<string, string | number | boolean | undefined> = {};
        for (const attribute of record.attributes ?? [])
          if (typeof attribute?.key === 'string') attributes[attribute.key] = scalar(attribute.value);
        const name = scalar(record.body);
        if (name !== 'claude_code.api_request' && attributes['event.name'] !== 'api_request') continue;
        if (typeof attributes.model !== 'string') continue;
        const nanos = Number(record.timeUnixNano);
        found.push({
          model: attributes.model,
          inputTokens: tokens(attributes.input_tokens),
          outputTokens: tokens(attributes.output_tokens),
          cacheReadTokens: tokens(attributes.cache_read_tokens),
          cacheCreationTokens: tokens(attributes.cache_creation_tokens),
          ...(attributes.cache_creation_5m_tokens !== undefined && {
            cacheCreation5mTokens: tokens(attributes.cache_creation_5m_tokens),
          }),
          ...(attributes.cache_creation_1h_tokens !== undefined && {
            cacheCreation1hTokens: tokens(attributes.cache_creation_1h_tokens),
          }),
          ...(typeof attributes.cost_usd === 'number' && { costUsd: attributes.cost_usd }),
          ...(typeof attributes['session.id'] === 'string' && { sessionId: attributes['session.id'] }),
          ...(typeof attributes.request_id === 'string' &&
            attributes.request_id !== '' && { requestId: attributes.request_id }),
          ...(typeof attributes['event.sequence'] === 'number' && { sequence: attributes['event.sequence'] }),
          ...(typeof attributes.speed === 'string' && { speed: attributes.speed }),
          ...(Number.isFinite(nanos) && nanos > 0 && { at: Math.floor(nanos / 1e6) }),
        });
      }
    }
  }
  return found;
}

/** The call's counts for the session meter. */
function countsOf(event: ClaudeCodeApiRequest): ModelCounts {
  const oneHour = event.cacheCreation1hTokens ?? 0;
  return {
    input: event.inputTokens,
    output: event.outputTokens,
    cacheRead: event.cacheReadTokens,
    cacheWrite5m: event.cacheCreation5mTokens ?? Math.max(0, event.cacheCreationTokens - oneHour),
    cacheWrite1h: oneHour,
    webSearch: 0,
    ...(event.speed === 'fast' && { fast: true }),
    cost: event.costUsd !== undefined && Number.isFinite(event.costUsd) && event.costUsd >= 0 ? usd(event.costUsd) : 0,
  };
}

export interface TelemetryMeterOptions {
  hub: Hub;
  /** Route entry whose pool pays for the calls. */
  entry: string;
  /**
   * A model the rate card does not price: charge the agent's own `cost_usd` for the call
   * (`reported-cost`, default, logged as a warning) or fail with DRAWDOWN_UNKNOWN_MODEL.
   */
  unknownModel?: 'reported-cost' | 'error';
}

export interface TelemetryMeter {
  /** Charges each API call of an OTLP logs export body once (keyed by its request id); returns what was new. */
  observeLogs(body: unknown): Promise<Settlement[]>;
  /** API calls charged so far (duplicates not counted). */
  readonly requests: number;
  /** Spend charged so far. */
  readonly charged: Nanos;
}

/**
 * Meters Claude Code from its own OpenTelemetry events: each `claude_code.api_request` is one API
 * call with its own token counts, priced through the session meter (the rate card, or the agent's
 * `cost_usd` for a model the card does not know) and charged under `claude-code:<request id>`, so an export retried or read twice charges nothing new. For agents whose output cannot be
 * read (an interactive terminal), this is how `drawdown run` meters them.
 */
export function createTelemetryMeter(options: TelemetryMeterOptions): TelemetryMeter {
  const owner = 'createTelemetryMeter';
  if (!options || typeof options.hub?.charge !== 'function')
    throw invalidOption(owner, 'hub', 'is missing', 'Pass the hub from createHub().');
  if (typeof options.entry !== 'string' || options.entry === '')
    throw invalidOption(owner, 'entry', 'is missing', 'Name the route entry that pays, like "personal".');
  const { hub, entry } = options;
  const meter = createSessionMeter({
    hub,
    entry,
    namespace: 'claude-code.session',
    unknownModel: options.unknownModel ?? 'reported-cost',
    owner,
  });
  let requests = 0;
  let charged = 0;
  let queue: Promise<unknown> = Promise.resolve();

  async function take(body: unknown): Promise<Settlement[]> {
    const settled: Settlement[] = [];
    for (const event of apiRequestsFromOtlpLogs(body)) {
      const key = event.requestId ?? `${event.sessionId ?? 'unknown-session'}:${event.sequence ?? event.at ?? 0}`;
      const settlement = await meter.charge({
        key: `claude-code:${key}`,
        model: event.model,
        counts: countsOf(event),
        ...(event.at !== undefined && { at: event.at }),
      });
      if (settlement.status === 'settled') {
        requests++;
        charged += settlement.cost;
        settled.push(settlement);
      }
    }
    return settled;
  }

  return {
    observeLogs(body) {
      const next = queue.then(() => take(body));
      queue = next.catch(() => undefined);
      return next;
    },
    get requests() {
      return requests;
    },
    get charged() {
      return charged;
    },
  };
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the OTLP/HTTP endpoint to give the agent. */
  readonly url: string;
  /**
   * The variables that make Claude Code export its events here: telemetry on, OTLP over HTTP/JSON,
   * logs to this receiver, flushed every second. Metrics and traces stay off.
   */
  readonly env: Record<string, string>;
  /** Waits for exports still being read, then stops listening. */
  close(): Promise<void>;
}

export interface OtlpReceiverOptions {
  /** Every logs export body, in order of arrival. A throw answers the exporter with 500 (it retries). */
  onLogs(body: unknown): Promise<unknown>;
  /** A body that could not be read (not JSON, too large). */
  onBadExport?(reason: string): void;
}

const MAX_EXPORT_BYTES = 16 * 1024 * 1024;

/**
 * A local OTLP/HTTP receiver (JSON encoding) on 127.0.0.1 for Claude Code's telemetry: answers
 * `POST /v1/logs` after `onLogs` has taken the body (so a crash before that makes the exporter
 * retry), and accepts other signals without reading them.
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions): Promise<OtlpReceiver> {
  const sockets = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_EXPORT_BYTES) {
        options.onBadExport?.(`an export larger than ${MAX_EXPORT_BYTES} bytes`);
        return answer(res, 413, { message: 'too large' });
      }
      parts.push(chunk as Buffer);
    }
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method !== 'POST') return answer(res, 405, { message: 'POST only' });
    if (path !== '/v1/logs') return answer(res, 200, {});
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      options.onBadExport?.(
        `a logs export that is not JSON (content-type ${req.headers['content-type'] ?? 'none'}); set OTEL_EXPORTER_OTLP_PROTOCOL=http/json`,
      );
      return answer(res, 400, { message: 'expected OTLP/HTTP JSON' });
    }
    try {
      await options.onLogs(body);
    } catch (error) {
      return answer(res, 500, { message: error instanceof Error ? error.message : String(error) });
    }
    answer(res, 200, { partialSuccess: {} });
  };
  const server = createServer((req, res) => {
    const done = handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, { message: 'receiver failed' });
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    env: {
      CLAUDE_CODE_ENABLE_TELEMETRY: '1',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${url}/v1/logs`,
      OTEL_LOGS_EXPORT_INTERVAL: '1000',
    },
    async close() {
      await Promise.all([...inFlight]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
