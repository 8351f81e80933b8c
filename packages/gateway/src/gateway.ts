import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PREFIX, adminApi } from './admin.js';
import { sendError } from './anthropic-errors.js';
import { createGatewayContext, type GatewayContext } from './context.js';
import { createRequestGuard, guardedIncoming } from '@drawdown/core/internal';
import { messageOf, presentedKey, requestTarget } from './http.js';
import { keyVerifier, type KeyRecord, type KeyVerifier } from './keys.js';
import { messages } from './messages.js';
import { checkOptions, type GatewayOptions, type GatewayRoute } from './options.js';
import { passThrough } from './pass-through.js';
import { reconcileSchedule } from './reconcile-schedule.js';

export type { GatewayOptions, GatewayRoute } from './options.js';

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

/** The header a gateway started with a token expects it in (Authorization carries the drawdown key). */
const GATEWAY_TOKEN_HEADER = 'x-drawdown-gateway-token';

/** The latency histogram's route label: a fixed set, never a raw path (which would grow without bound). */
function routeName(path: string): string {
  if (path === '/v1/messages') return 'messages';
  if (path === '/v1/messages/count_tokens') return 'count_tokens';
  if (path === '/v1/models' || path.startsWith('/v1/models/')) return 'models';
  if (path.startsWith(ADMIN_PREFIX)) return 'admin';
  if (path === '/metrics') return 'metrics';
  return 'other';
}

/**
 * Sends each request to the job that serves it, after the guard and the key check: the gateway's
 * only routing table.
 */
function dispatcher(
  ctx: GatewayContext,
  options: GatewayOptions,
  keys: KeyVerifier,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { hub } = ctx;
  const guard = createRequestGuard({
    host: ctx.settings.host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    token: options.token,
    server: {
      name: 'drawdown gateway',
      hostHint: 'Use ANTHROPIC_BASE_URL=http://127.0.0.1:<port>, or start the gateway with --allowed-host.',
      tokenHint: `Send it as the ${GATEWAY_TOKEN_HEADER} header (Claude Code: ANTHROPIC_CUSTOM_HEADERS="${GATEWAY_TOKEN_HEADER}: <token>").`,
    },
  });
  const extraRoutes: GatewayRoute[] = options.routes ?? [];
  const admin = options.admin ? adminApi(ctx, options.admin) : undefined;
  return async (req, res) => {
    const refusal = guard(guardedIncoming(req, { header: GATEWAY_TOKEN_HEADER }));
    if (refusal)
      return sendError(res, refusal.status === 401 ? 'authentication_error' : 'permission_error', refusal.message, {
        status: refusal.status,
        detail: { code: refusal.code, hint: refusal.hint },
      });
    const { path, search } = requestTarget(req.url ?? '/');
    const target = path + search;
    const method = req.method ?? 'GET';
    ctx.metrics.time(res, routeName(path));
    if (admin && path.startsWith(ADMIN_PREFIX)) return admin(req, res, path);
    // Prometheus scrapes need no drawdown key; the guard (Host, Origin, gateway token) still applies.
    if (method === 'GET' && path === '/metrics') return ctx.metrics.serve(req, res);
    const extra =
      extraRoutes.length === 0
        ? undefined
        : extraRoutes.find(
            (r) => r.method === method && (typeof r.path === 'string' ? r.path === path : r.path.test(path)),
          );
    let record: KeyRecord | undefined;
    if (extra ? extra.auth === 'key' : true) {
      record = await keys.verify(presentedKey(req));
      if (!record) {
        ctx.metrics.refused('invalid_key');
        req.resume();
        return sendError(
          res,
          'authentication_error',
          'drawdown gateway: invalid or revoked drawdown key; send the key from "drawdown keys create" as ANTHROPIC_API_KEY (x-api-key or Authorization: Bearer)',
        );
      }
      if (record.expiresAt !== undefined && record.expiresAt <= hub.clock.now()) {
        ctx.metrics.refused('key_expired');
        req.resume();
        return sendError(
          res,
          'authentication_error',
          `drawdown gateway: key "${record.name}" expired at ${new Date(record.expiresAt).toISOString()}; ask for a new key`,
        );
      }
    }
    if (extra)
      return extra.handle(req, res, {
        url: new URL(target, 'http://gateway.invalid'),
        hub,
        ...(record && { key: record }),
      });
    const call = { req, res, record: record!, target };
    if (method === 'POST' && path === '/v1/messages') return messages(ctx, call);
    if (method === 'POST' && path === '/v1/messages/count_tokens') return passThrough(ctx, call, 'POST');
    if (method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/')))
      return passThrough(ctx, call, 'GET');
    req.resume();
    sendError(
      res,
      'not_found_error',
      `drawdown gateway: ${method} ${path} is not forwarded; the gateway serves POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models (other endpoints could spend without being metered)`,
    );
  };
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
  const settings = checkOptions(options);
  const ctx = createGatewayContext(hub, settings, options.upstream, options.budgets);
  const keys = keyVerifier(hub.store, {
    ...(options.keysMaxAgeMs !== undefined && { maxAgeMs: options.keysMaxAgeMs }),
  });
  const handle = dispatcher(ctx, options, keys);
  const schedule = options.reconcile && reconcileSchedule({ ...options.reconcile, id: 'gateway-reconcile' });

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
    server.listen(options.port ?? 0, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Once listening, so a gateway that cannot bind never starts reading the usage report.
  if (schedule) await hub.use(schedule);
  const { port } = server.address() as AddressInfo;
  const host = settings.host;
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${port}`,
    port,
    server,
    idle: ctx.idle,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await ctx.idle();
      keys.close();
      await ctx.upstream.close();
    },
  };
}
