import type { IncomingMessage, ServerResponse } from 'node:http';
import { stderrLogger, type Hub, type Logger } from '@drawdown/core';
import { createAlertLog, type AlertLog } from './alerts.js';
import { DashboardErrorCodes } from './errors.js';
import { loadAssets } from './assets.js';
import { dashboardPage } from './page.js';
import type { ObservedSource } from './observed.js';
import type { ReconcileSettings } from '@drawdown/mcp-server';
import { reconcileSource } from './reconcile.js';
import { readDashboard, type DashboardSnapshot } from './snapshot.js';
import { WRITE_TOOLS, type DashboardWrites, type WriteTool } from './writes.js';

export interface DashboardHandlerOptions {
  /** Path the page is served under, e.g. `/dashboard` (default `/`). */
  base?: string;
  /** Offer the guarded writes; omitted, the page is read-only and the write endpoints answer 403. */
  writes?: DashboardWrites;
  /** Days of spend history (default 14). */
  days?: number;
  /** Refresh at least this often even without ledger changes, so reset times tick over and new log lines show (default 30 s). */
  refreshMs?: number;
  /** Spend seen outside the ledger (Claude Code's logs), shown beside it; read at most every few seconds. */
  observed?: ObservedSource;
  /** Without a hub: the time zone of the days shown (default UTC). */
  timeZone?: string;
  /** Without a hub: where warnings go (default stderr). */
  logger?: Logger;
  /**
   * The configuration's `reconcile` settings: the page then shows the ledger against Anthropic's
   * usage report over the last day. Without them (with a hub), it says how to turn that on.
   */
  reconcile?: ReconcileSettings;
  /** How often the reconcile panel checks again, ms (default 10 minutes). */
  reconcileEveryMs?: number;
}

export interface DashboardHandler {
  /** Serves the request if its path is the dashboard's; returns false when it is not. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Paths served, relative to nothing: for a router that needs them up front. */
  readonly base: string;
  close(): void;
}

const MAX_BODY = 16 * 1024;
// Ledger changes can come many times a second; the logs are re-read (incrementally) at most this often.
const OBSERVED_MAX_AGE_MS = 5_000;

/** The source, answering a repeated range from its last read for `maxAgeMs`. */
function throttled(source: ObservedSource, maxAgeMs: number): ObservedSource {
  let last: { key: string; at: number; value: ReturnType<ObservedSource> } | undefined;
  return (range) => {
    const key = `${range.fromDay}|${range.toDay}|${range.timeZone}`;
    const now = Date.now();
    if (last && last.key === key && now - last.at < maxAgeMs) return last.value;
    const value = source(range);
    last = { key, at: now, value };
    value.catch(() => {
      if (last?.value === value) last = undefined;
    });
    return value;
  };
}
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
// The page's own scripts and styles only; uPlot sizes its canvas through element styles.
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(body);
}

/** The body of a 404, in drawdown's error shape. */
export const notFound = (path: string): { code: string; message: string; hint: string } => ({
  code: DashboardErrorCodes.NOT_FOUND,
  message: `nothing is served at ${path}.`,
  hint: 'open the page itself; its data is under api/snapshot and api/events.',
});

const sendJson = (res: ServerResponse, status: number, value: unknown): void =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    throw new Error('send the body as JSON (content-type: application/json).');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error(`the body is larger than ${MAX_BODY} bytes.`);
    chunks.push(chunk);
  }
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('the body must be a JSON object: {"args": {...}, "confirmed"?: "<question>"}.');
  return value as Record<string, unknown>;
}

/**
 * The dashboard as a request handler: the page, its assets, `api/snapshot`, the live stream
 * `api/events` (server-sent events, one full snapshot per change, fed by the store's `watch`, which
 * sees other processes' writes) and, when enabled, `api/write/<tool>`. It applies no access
 * checks of its own: `startDashboard` and the gateway put it behind their guards.
 */
export function createDashboardHandler(hub: Hub | undefined, options: DashboardHandlerOptions = {}): DashboardHandler {
  const base = (options.base ?? '/').replace(/\/+$/, '');
  const logger = hub?.logger ?? options.logger ?? stderrLogger();
  const alerts: AlertLog | undefined = hub && createAlertLog(hub);
  const clients = new Set<ServerResponse>();
  const observed = options.observed && throttled(options.observed, OBSERVED_MAX_AGE_MS);
  const reconcile =
    hub &&
    reconcileSource(hub, options.reconcile, {
      ...(options.reconcileEveryMs !== undefined && { everyMs: options.reconcileEveryMs }),
      changed: () => broadcast(),
    });
  const read = (): Promise<DashboardSnapshot> =>
    readDashboard(hub, {
      ...(reconcile && { reconcile }),
      ...(alerts && { alerts }),
      writes: options.writes !== undefined,
      ...(options.days !== undefined && { days: options.days }),
      ...(observed && { observed }),
      ...(options.timeZone !== undefined && { timeZone: options.timeZone }),
    });

  // One read at a time; changes during a read ask for exactly one more. Every client gets the same snapshot.
  let reading = false;
  let again = false;
  const broadcast = (): void => {
    if (clients.size === 0) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    read()
      .then((snapshot) => {
        const frame = `event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`;
        for (const client of clients) client.write(frame);
      })
      .catch((error: unknown) =>
        logger.warn(`dashboard: reading the ledger failed: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        reading = false;
        if (again) {
          again = false;
          broadcast();
        }
      });
  };
  const unwatch = hub?.store.watch(() => broadcast());
  const unalert = alerts?.onAlert(() => broadcast());
  const refresh = setInterval(broadcast, options.refreshMs ?? 30_000);
  refresh.unref();
  const heartbeat = setInterval(() => {
    for (const client of clients) client.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  async function serveEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...SECURITY_HEADERS,
    });
    res.write('retry: 1000\n\n');
    clients.add(res);
    req.on('close', () => clients.delete(res));
    const snapshot = await read();
    res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
  }

  async function serveWrite(req: IncomingMessage, res: ServerResponse, tool: string): Promise<void> {
    if (!options.writes)
      return sendJson(res, 403, {
        code: DashboardErrorCodes.READ_ONLY,
        message: 'this dashboard is read-only.',
        hint: 'start it with "drawdown dashboard --writes" to add funds or change auto-reload from the page.',
      });
    if (!(WRITE_TOOLS as readonly string[]).includes(tool))
      return sendJson(res, 404, {
        code: DashboardErrorCodes.NOT_FOUND,
        message: `no write "${tool}".`,
        hint: `use one of ${WRITE_TOOLS.join(', ')}.`,
      });
    let body: Record<string, unknown>;
    try {
      body = await readJsonBody(req);
    } catch (error) {
      return sendJson(res, 400, {
        code: DashboardErrorCodes.BAD_REQUEST,
        message: error instanceof Error ? error.message : String(error),
        hint: 'send {"args": {...}, "confirmed"?: "<question>"}.',
      });
    }
    const args = typeof body.args === 'object' && body.args !== null ? (body.args as Record<string, unknown>) : {};
    const confirmed = typeof body.confirmed === 'string' ? body.confirmed : undefined;
    const outcome = await options.writes.call(tool as WriteTool, args, confirmed);
    sendJson(res, outcome.kind === 'error' ? 400 : 200, outcome);
  }

  return {
    base: base || '/',
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
      const path = url.pathname;
      if (path !== base && path !== `${base}/` && !path.startsWith(`${base}/`)) return false;
      const rest = path.slice(base.length).replace(/^\/+/, '');
      const method = req.method ?? 'GET';
      if (method === 'POST' && rest.startsWith('api/write/')) {
        await serveWrite(req, res, rest.slice('api/write/'.length));
        return true;
      }
      if (method !== 'GET' && method !== 'HEAD') {
        send(
          res,
          405,
          'application/json; charset=utf-8',
          JSON.stringify({
            code: DashboardErrorCodes.METHOD_NOT_ALLOWED,
            message: `${method} is not served here.`,
            hint: 'read with GET; only api/write/<tool> takes POST.',
          }),
          { allow: 'GET, POST' },
        );
        return true;
      }
      switch (rest) {
        case '':
          // A trailing slash keeps relative URLs simple; the page itself uses absolute ones.
          send(res, 200, 'text/html; charset=utf-8', dashboardPage({ base: base || '/' }), {
            'content-security-policy': PAGE_CSP,
          });
          return true;
        case 'api/snapshot':
          sendJson(res, 200, await read());
          return true;
        case 'api/events':
          await serveEvents(req, res);
          return true;
        case 'assets/uPlot.iife.min.js':
        case 'assets/dashboard.js':
        case 'assets/uPlot.min.css':
        case 'assets/dashboard.css': {
          const assets = await loadAssets();
          const file = {
            'assets/uPlot.iife.min.js': assets.uplotJs,
            'assets/dashboard.js': assets.dashboardJs,
            'assets/uPlot.min.css': assets.uplotCss,
            'assets/dashboard.css': assets.dashboardCss,
          }[rest];
          send(res, 200, rest.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8', file);
          return true;
        }
        default:
          sendJson(res, 404, notFound(path));
          return true;
      }
    },
    close() {
      unwatch?.();
      unalert?.();
      alerts?.close();
      clearInterval(refresh);
      clearInterval(heartbeat);
      for (const client of clients) client.end();
      clients.clear();
    },
  };
}
