import { randomUUID } from 'node:crypto';
import { createServer, type Server as NodeServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DrawdownError, invalidOption } from '@drawdown/core';
import { createMcpHandler, isLegacyRequest, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { McpErrorCodes } from './errors.js';
import { createGuard, isLoopback } from './http-guard.js';
import { watchPoolResources } from './live-updates.js';
import { sendWebResponse, toWebRequest } from './node-bridge.js';
import { createDrawdownMcpServer, type DrawdownMcpServerOptions } from './server.js';

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
}

export interface HttpHandle {
  /** The endpoint, e.g. `http://127.0.0.1:53412/mcp`. */
  url: string;
  close(): Promise<void>;
}

const MIN_TOKEN_LENGTH = 16;

function validate(options: ServeHttpOptions): { host: string; port: number; path: string } {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const path = options.path ?? '/mcp';
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw invalidOption('serveHttp', 'port', `is ${String(port)}`, 'Use 0 for a free port or a number up to 65535.');
  if (!path.startsWith('/')) throw invalidOption('serveHttp', 'path', `is "${path}"`, 'Start it with "/", like "/mcp".');
  if (options.bearerToken !== undefined && options.bearerToken.trim().length < MIN_TOKEN_LENGTH) {
    throw invalidOption('serveHttp', 'bearerToken', `is shorter than ${MIN_TOKEN_LENGTH} characters`, 'Use a long random secret, e.g. `openssl rand -hex 32`.');
  }
  if (!isLoopback(host) && options.bearerToken === undefined) {
    throw new DrawdownError(
      McpErrorCodes.BEARER_TOKEN_REQUIRED,
      `refusing to serve MCP on ${host} without a bearer token: anyone who can reach that address could read your pools. Pass bearerToken (a long random secret), or bind 127.0.0.1.`,
      { data: { host } },
    );
  }
  return { host, port, path };
}

interface LegacySession {
  transport: WebStandardStreamableHTTPServerTransport;
  close(): Promise<void>;
}

/**
 * Serves the hub over Streamable HTTP in both protocol eras on one endpoint. 2026-07-28 requests are
 * served per request (live updates on the client's listen stream); 2025-era clients get a session
 * (`Mcp-Session-Id`), so resource subscriptions and write confirmations reach them over its stream.
 */
export async function serveHttp(options: ServeHttpOptions): Promise<HttpHandle> {
  const { host, port, path } = validate(options);
  const { hub } = options;
  const serverOptions: DrawdownMcpServerOptions = { hub, ...(options.writes !== undefined && { writes: options.writes }), ...(options.name && { name: options.name }), ...(options.version && { version: options.version }) };
  const guard = createGuard({ host, allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins, bearerToken: options.bearerToken });
  const onerror = (error: Error): void => hub.logger.debug(`mcp http: ${error.message}`);

  const modern = createMcpHandler(() => createDrawdownMcpServer(serverOptions, { live: false }), { legacy: 'reject', onerror });
  const stopWatching = watchPoolResources(hub, (uris) => uris.forEach((uri) => modern.notify.resourceUpdated(uri)));

  const sessions = new Map<string, LegacySession>();
  async function serveLegacy(request: Request): Promise<Response> {
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) return Response.json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found: it ended or the server restarted. Initialize again.' }, id: null }, { status: 404 });
      return session.transport.handleRequest(request);
    }
    if (request.method !== 'POST') return Response.json({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: no Mcp-Session-Id; open a session with initialize first.' }, id: null }, { status: 400 });
    const server = createDrawdownMcpServer(serverOptions);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => void sessions.set(id, { transport, close: () => server.close() }),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(request);
  }

  const httpServer: NodeServer = createServer((req, res) => {
    void (async () => {
      const request = toWebRequest(req, res, `http://${req.headers.host ?? 'localhost'}`);
      let response: Response;
      try {
        const refused = guard(request);
        if (refused) response = refused;
        else if (new URL(request.url).pathname !== path) response = new Response('Not found: the MCP endpoint is ' + path, { status: 404 });
        else response = (await isLegacyRequest(request)) ? await serveLegacy(request) : await modern.fetch(request);
      } catch (error) {
        hub.logger.warn(`mcp http request failed: ${error instanceof Error ? error.message : String(error)}`);
        response = Response.json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }, { status: 500 });
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
    async close() {
      stopWatching();
      await Promise.allSettled([...sessions.values()].map((s) => s.close()));
      sessions.clear();
      await modern.close();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
