import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DrawdownError, invalidOption, stderrLogger, type Hub } from '@drawdown/core';
import { createRequestGuard, isLoopbackHost, refusalBody } from '@drawdown/core/internal';
import { drawdownMetrics } from '@drawdown/metrics';
import { DashboardErrorCodes } from './errors.js';
import { createDashboardHandler, notFound } from './handler.js';
import type { ObservedSource } from './observed.js';
import type { ReconcileSettings } from '@drawdown/mcp-server';
import { dashboardWrites } from './writes.js';

export interface DashboardOptions {
  /** The hub to show. Without one (no configuration yet), give `observed`: the page shows that alone. */
  hub?: Hub;
  /** Spend seen outside the ledger (Claude Code's own logs), shown beside the pools, labelled observed. */
  observed?: ObservedSource;
  /** Without a hub: the IANA time zone of the days and times shown (default UTC). */
  timeZone?: string;
  /** Address to bind. Default `127.0.0.1`; anything else needs `token`. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /**
   * Secret (16+ characters) a browser must present: open `<url>/?token=<token>` once and the page
   * keeps it in a same-site cookie; scripts may send `Authorization: Bearer <token>`. Required for a
   * non-loopback bind.
   */
  token?: string;
  /** Host header names accepted (default: loopback names and `host`). */
  allowedHosts?: string[];
  /** Browser origins accepted (default: loopback origins). */
  allowedOrigins?: string[];
  /** Offer add funds and auto-reload on the page, each confirmed as the MCP write tools confirm. Default false. */
  writes?: boolean;
  /** Days of spend history in the chart (default 14). */
  days?: number;
  /** The configuration's `reconcile` settings, for the panel comparing the ledger with Anthropic's usage report. */
  reconcile?: ReconcileSettings;
  /** How often that panel checks again, ms (default 10 minutes). */
  reconcileEveryMs?: number;
}

export interface Dashboard {
  /** The page, e.g. `http://127.0.0.1:7756/`. */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const MIN_TOKEN_LENGTH = 16;
const COOKIE = 'drawdown_dashboard_token';

function check(options: DashboardOptions): { host: string; port: number } {
  if (!options.hub && !options.observed)
    throw invalidOption(
      'startDashboard',
      'hub',
      'is missing, and so is observed',
      'Give the hub to show, or (with no configuration) observed: the spend to show without one.',
    );
  if (options.writes === true && !options.hub)
    throw invalidOption('startDashboard', 'writes', 'is on without a hub', 'Writes need a hub with a credits pool.');
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw invalidOption(
      'startDashboard',
      'port',
      `is ${String(port)}`,
      'Use 0 for a free port or a number up to 65535.',
    );
  if (options.token !== undefined && options.token.trim().length < MIN_TOKEN_LENGTH) {
    throw invalidOption(
      'startDashboard',
      'token',
      `is shorter than ${MIN_TOKEN_LENGTH} characters`,
      'Use a long random secret, e.g. `openssl rand -hex 32`.',
    );
  }
  if (!isLoopbackHost(host) && options.token === undefined) {
    throw new DrawdownError(
      DashboardErrorCodes.TOKEN_REQUIRED,
      `refusing to serve the dashboard on ${host} without a token: anyone who can reach that address could see your spending. Pass a token (a long random secret), or bind 127.0.0.1.`,
      { data: { host } },
    );
  }
  return { host, port };
}

/** The token a client carries: a bearer header (scripts), or from a browser `?token=` once, then the cookie. */
function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (bearer) return bearer[1]!.trim();
  const fromQuery = url.searchParams.get('token');
  if (fromQuery) return fromQuery;
  const cookie = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(COOKIE.length + 1)) : undefined;
}

/** The latency histogram's route label: a fixed set, never a raw path. */
const routeName = (path: string): string =>
  path === '/metrics' ? 'metrics' : path.endsWith('/api/events') ? 'events' : path.includes('/api/') ? 'api' : 'page';

/**
 * Serves the dashboard on its own port, behind the same guard as the MCP HTTP endpoint: the Host
 * header must name this server, a browser Origin must be allowed, and with a token every request
 * must carry it. Loopback only unless a token is given.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { host, port } = check(options);
  const { hub } = options;
  const guard = createRequestGuard({
    host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    token: options.token,
    server: {
      name: 'drawdown dashboard',
      hostHint: 'Open the address the dashboard printed (http://127.0.0.1:<port>/), or start it with --allowed-host.',
      tokenHint: 'Open the link with ?token=<token> once; the browser keeps it in a cookie from then on.',
    },
  });
  const logger = hub?.logger ?? stderrLogger();
  const handler = createDashboardHandler(hub, {
    ...(options.writes === true && hub && { writes: dashboardWrites(hub) }),
    ...(options.days !== undefined && { days: options.days }),
    ...(options.observed && { observed: options.observed }),
    ...(options.timeZone !== undefined && { timeZone: options.timeZone }),
    ...(options.reconcile && { reconcile: options.reconcile }),
    ...(options.reconcileEveryMs !== undefined && { reconcileEveryMs: options.reconcileEveryMs }),
    logger,
  });

  // Metrics read the ledger: a dashboard of observed Claude Code spend alone (no hub) has none.
  const metrics = hub ? drawdownMetrics({ hub, server: 'dashboard' }) : undefined;

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
    metrics?.time(res, routeName(url.pathname));
    const token = options.token === undefined ? undefined : presentedToken(req, url);
    const refusal = guard({ host: req.headers.host, origin: req.headers.origin, token });
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(refusalBody(refusal)));
      return;
    }
    if (url.searchParams.has('token')) {
      // Keep the token out of the address bar and history: a cookie from now on.
      res.writeHead(303, {
        location: url.pathname,
        'set-cookie': `${COOKIE}=${encodeURIComponent(token!)}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    // Behind the same guard and token as the page: a scraper sends `Authorization: Bearer <token>`.
    if (metrics && req.method === 'GET' && url.pathname === '/metrics') return metrics.serve(req, res);
    if (!(await handler.handle(req, res))) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(notFound(url.pathname)));
    }
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      logger.warn(`dashboard: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(
          JSON.stringify({
            code: DashboardErrorCodes.FAILED,
            message: 'the dashboard could not answer this request.',
            hint: "the reason is on the server's stderr; reload the page to try again.",
          }),
        );
      } else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}/`,
    port: bound,
    server,
    async close() {
      handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
