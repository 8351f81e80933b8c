import { randomUUID } from 'node:crypto';
import { createServer, type Server as NodeServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DrawdownError, invalidOption, stderrLogger, type Logger } from '@drawdown/core';
import {
  createMcpHandler,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { McpErrorCodes } from './errors.js';
import { createRequestGuard, guardedWeb, isLoopbackHost, refusalBody } from '@drawdown/core/internal';
import { drawdownMetrics } from '@drawdown/metrics';
import { watchPoolResources } from './live-updates.js';
import { sendWebResponse, toWebRequest } from './node-bridge.js';
import { withEraResourceNotFound } from './resource-not-found.js';
import { checkServed, createDrawdownMcpServer, type DrawdownMcpServerOptions } from './server.js';
import { createSessionTable, type SessionTable } from './sessions.js';

export interface ServeHttpOptions extends DrawdownMcpServerOptions {
  /** Address to bind. Default `127.0.0.1`; any non-loopback address requires `bearerToken`. */
  host?: string;
  /** Default 0: a free port (read it from the returned `url`). */
  port?: number;
  /** Endpoint path. Default `/mcp`. */
  path?: string;
  /** Host header names accepted (DNS-rebinding protection). Default: the loopback names and `host`. */
  allowedHosts?: string[];
  /** Browser Origin hostnames accepted. Default: loopback origins only. Requests without Origin pass. */
  allowedOrigins?: string[];
  /** Clients must send `Authorization: Bearer <token>`. Required when binding beyond loopback. */
  bearerToken?: string;
  /**
   * A 2025-era session with no request open for this long is closed (clients rarely send DELETE;
   * one that comes back gets 404 and initializes again). Default 15 minutes.
   */
  sessionIdleTimeoutMs?: number;
  /**
   * Most 2025-era sessions open at once. A new session beyond it evicts the one idle the longest;
   * when every session has a request open, the new one is refused with 503. Default 100.
   */
  maxSessions?: number;
}

export interface HttpHandle {
  /** The endpoint, e.g. `http://127.0.0.1:53412/mcp`. */
  url: string;
  /** 2025-era sessions open now (2026-07-28 requests need none). */
  openSessions(): number;
  close(): Promise<void>;
}

const MIN_TOKEN_LENGTH = 16;
const DEFAULT_IDLE_MS = 15 * 60_000;
const DEFAULT_MAX_SESSIONS = 100;

function validate(options: ServeHttpOptions): {
  host: string;
  port: number;
  path: string;
  idleMs: number;
  maxSessions: number;
} {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const path = options.path ?? '/mcp';
  const idleMs = options.sessionIdleTimeoutMs ?? DEFAULT_IDLE_MS;
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  if (!Number.isFinite(idleMs) || idleMs <= 0)
    throw invalidOption(
      'serveHttp',
      'sessionIdleTimeoutMs',
      `is ${String(idleMs)}`,
      'Use a number of milliseconds above 0, e.g. 900000 for 15 minutes.',
    );
  if (!Number.isInteger(maxSessions) || maxSessions < 1)
    throw invalidOption(
      'serveHttp',
      'maxSessions',
      `is ${String(maxSessions)}`,
      'Use a whole number of at least 1, e.g. 100.',
    );
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw invalidOption('serveHttp', 'port', `is ${String(port)}`, 'Use 0 for a free port or a number up to 65535.');
  if (!path.startsWith('/'))
    throw invalidOption('serveHttp', 'path', `is "${path}"`, 'Start it with "/", like "/mcp".');
  if (options.bearerToken !== undefined && options.bearerToken.trim().length < MIN_TOKEN_LENGTH) {
    throw invalidOption(
      'serveHttp',
      'bearerToken',
      `is shorter than ${MIN_TOKEN_LENGTH} characters`,
      'Use a long random secret, e.g. `openssl rand -hex 32`.',
    );
  }
  if (!isLoopbackHost(host) && options.bearerToken === undefined) {
    throw new DrawdownError(
      McpErrorCodes.BEARER_TOKEN_REQUIRED,
      `refusing to serve MCP on ${host} without a bearer token: anyone who can reach that address could read your pools. Pass bearerToken (a long random secret), or bind 127.0.0.1.`,
      { data: { host } },
    );
  }
  return { host, port, path, idleMs, maxSessions };
}

/**
 * Serves the hub over Streamable HTTP in both protocol eras on one endpoint. 2026-07-28 requests are
 * served per request (live updates on the client's listen stream); 2025-era clients get a session
 * (`Mcp-Session-Id`), so resource subscriptions and write confirmations reach them over its stream.
 */
export async function serveHttp(options: ServeHttpOptions): Promise<HttpHandle> {
  const { host, port, path, idleMs, maxSessions } = validate(options);
  const { hub } = checkServed(options);
  const logger: Logger = options.logger ?? hub?.logger ?? stderrLogger();
  const serverOptions: DrawdownMcpServerOptions = {
    ...(hub ? { hub } : { setupProblem: options.setupProblem!, logger }),
    ...(options.writes !== undefined && { writes: options.writes }),
    ...(options.reconcile && { reconcile: options.reconcile }),
    ...(options.localUsage && { localUsage: options.localUsage }),
    ...(options.dashboardApp && { dashboardApp: options.dashboardApp }),
    ...(options.name && { name: options.name }),
    ...(options.version && { version: options.version }),
  };
  const check = createRequestGuard({
    host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    token: options.bearerToken,
    server: {
      name: 'drawdown MCP server',
      hostHint:
        'Connect to the address the server listens on (e.g. http://127.0.0.1:<port>/mcp), or start it with --allowed-host.',
      tokenHint: 'Send Authorization: Bearer <token> with the token the server was started with.',
    },
  });
  const guard = (request: Request): Response | undefined => {
    const refusal = check(guardedWeb(request, { bearer: true }));
    if (!refusal) return undefined;
    return Response.json(refusalBody(refusal), {
      status: refusal.status,
      ...(refusal.status === 401 && { headers: { 'WWW-Authenticate': 'Bearer realm="drawdown"' } }),
    });
  };
  const onerror = (error: Error): void => logger.debug(`mcp http: ${error.message}`);
  // GET /metrics beside the endpoint, behind the same guard; only with a hub (a setup problem has no ledger).
  const metrics = hub ? drawdownMetrics({ hub, server: 'mcp' }) : undefined;

  const modern = createMcpHandler(() => createDrawdownMcpServer(serverOptions, { live: false }), {
    legacy: 'reject',
    onerror,
  });
  const stopWatching = hub
    ? watchPoolResources(hub, (uris) => {
        for (const uri of uris) modern.notify.resourceUpdated(uri);
      })
    : () => {};

  const sessions: SessionTable<WebStandardStreamableHTTPServerTransport> = createSessionTable({
    idleMs,
    maxSessions,
    onEvict: (reason) => logger.debug(`mcp http: closed a session (${reason})`),
  });
  async function serveLegacy(request: Request, finished: Promise<void>): Promise<Response> {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const transport = sessions.use(sessionId, finished);
      if (!transport)
        return Response.json(
          {
            jsonrpc: '2.0',
            error: {
              code: -32001,
              message: 'Session not found: it ended, was idle too long, or the server restarted. Initialize again.',
            },
            id: null,
          },
          { status: 404 },
        );
      return transport.handleRequest(request);
    }
    if (request.method !== 'POST')
      return Response.json(
        {
          jsonrpc: '2.0',
          error: { code: -32000, message: 'Bad Request: no Mcp-Session-Id; open a session with initialize first.' },
          id: null,
        },
        { status: 400 },
      );
    if (!sessions.hasRoom()) {
      return Response.json(
        {
          jsonrpc: '2.0',
          error: {
            code: -32000,
            message: `Too many sessions: all ${maxSessions} are busy. Close one (DELETE with its Mcp-Session-Id) or retry later.`,
          },
          id: null,
        },
        { status: 503, headers: { 'retry-after': '5' } },
      );
    }
    const server = createDrawdownMcpServer(serverOptions);
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id): void => sessions.add(id, transport, () => server.close(), finished),
      onsessionclosed: (id) => sessions.remove(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.remove(transport.sessionId);
    };
    await server.connect(withEraResourceNotFound(transport));
    const response = await transport.handleRequest(request);
    // A request that opened no session (not a valid initialize) leaves nothing to keep.
    if (transport.sessionId === undefined) void server.close().catch(() => {});
    return response;
  }

  const httpServer: NodeServer = createServer((req, res) => {
    const finished = new Promise<void>((resolve) => res.once('close', resolve));
    void (async () => {
      const request = toWebRequest(req, res, `http://${req.headers.host ?? 'localhost'}`);
      const pathname = new URL(request.url).pathname;
      metrics?.time(res, pathname === path ? 'mcp' : pathname === '/metrics' ? 'metrics' : 'other');
      let response: Response;
      try {
        const refused = guard(request);
        if (refused) response = refused;
        else if (metrics && request.method === 'GET' && pathname === '/metrics') {
          const { contentType, body } = await metrics.scrape();
          response = new Response(body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
        } else if (pathname !== path)
          response = new Response(`Not found: the MCP endpoint is ${path}`, { status: 404 });
        else
          response = (await isLegacyRequest(request))
            ? await serveLegacy(request, finished)
            : await modern.fetch(request);
      } catch (error) {
        logger.warn(`mcp http request failed: ${error instanceof Error ? error.message : String(error)}`);
        response = Response.json(
          { jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null },
          { status: 500 },
        );
      }
      await sendWebResponse(res, response);
    })();
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${shownHost}:${address.port}${path}`,
    openSessions: () => sessions.size(),
    async close() {
      stopWatching();
      await sessions.closeAll();
      await modern.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
