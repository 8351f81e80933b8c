import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidOption, type Hub } from '@drawdown/core';
import { isLoopbackHost } from '@drawdown/core/internal';
import type { KeyRecord } from './keys.js';
import type { ReconcileScheduleOptions } from './reconcile-schedule.js';
import type { BudgetHierarchy } from './levels.js';
import type { UpstreamOptions } from './upstream.js';

/** The admin API's options: off unless given. */
export interface AdminOptions {
  /** Sent as `Authorization: Bearer <token>` by the app's server; at least 32 characters. */
  token: string;
  /**
   * Declares that TLS is terminated in front of the gateway (a reverse proxy on the same host or
   * network). Required to serve the admin API on a non-loopback bind: the admin token and minted
   * keys must never cross a network in the clear.
   */
  behindTls?: boolean;
}

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
  /** How long a request's holds live (its pool's and every budget level's), ms. Default: the hub's `holdTtlMs`. */
  holdTtlMs?: number;
  /**
   * Organisations, teams and users with their budgets. A key's levels (the key itself, its user,
   * team and organisation) are held with the route's pool in one atomic store step on every request.
   */
  budgets?: BudgetHierarchy;
  /** How stale the cached key list may be before a request re-reads it, ms. Default 1000. */
  keysMaxAgeMs?: number;
  /**
   * Size holds as if `max_tokens` were at most this. Default: the request's own `max_tokens`, which
   * can never overspend. Claude Code asks for up to 128,000 output tokens, so on a small budget its
   * holds are refused although its answers would fit; a cap admits them, at the risk that one answer
   * longer than the cap overruns the budget by the difference (the charge is always the true cost).
   */
  holdMaxTokens?: number;
  /**
   * Serves the admin API under `/admin/` (mint, list, read, revoke, rotate keys) for requests with
   * this token. Off when absent. On a non-loopback bind it also needs `behindTls: true`.
   */
  admin?: AdminOptions;
  /**
   * Reconciles the ledger with Anthropic's usage report every `everyMs` (see `reconcileSchedule`):
   * drift shows on `/metrics`, and drift beyond the tolerance raises `reconcile.drift` for the
   * notifiers. Registered on the hub, so it runs until the hub closes; on a shared ledger one
   * process runs it.
   */
  reconcile?: Omit<ReconcileScheduleOptions, 'id'>;
}

/** The options with their defaults applied, checked. */
export interface GatewaySettings {
  host: string;
  maxBodyBytes: number;
  holdTtlMs: number | undefined;
  holdMaxTokens: number | undefined;
}

const RANDOM_SECRET = 'Use a long random one (e.g. `openssl rand -hex 32`).';

/** Checks the options before anything binds: an unsafe or malformed one is an error naming its field and the fix. */
export function checkOptions(options: GatewayOptions): GatewaySettings {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && (options.allowRemote !== true || !options.token)) {
    throw invalidOption(
      'gateway',
      options.allowRemote === true ? 'token' : 'allowRemote',
      options.allowRemote === true
        ? `is missing, and binding ${host} exposes the gateway beyond this machine`
        : `is not set, and binding ${host} exposes the gateway beyond this machine`,
      'Set allowRemote: true and a token (CLI: --allow-remote and DRAWDOWN_GATEWAY_TOKEN), or bind 127.0.0.1.',
    );
  }
  if (options.token !== undefined && options.token.length < 16) {
    throw invalidOption('gateway', 'token', 'is shorter than 16 characters', RANDOM_SECRET);
  }
  const { holdMaxTokens } = options;
  if (holdMaxTokens !== undefined && !(Number.isSafeInteger(holdMaxTokens) && holdMaxTokens > 0)) {
    throw invalidOption(
      'gateway',
      'holdMaxTokens',
      `is ${String(holdMaxTokens)}`,
      'Use a positive whole number of tokens, like 16000.',
    );
  }
  if (options.admin !== undefined) {
    if (typeof options.admin.token !== 'string' || options.admin.token.length < 32) {
      throw invalidOption('gateway', 'admin.token', 'is missing or shorter than 32 characters', RANDOM_SECRET);
    }
    if (!isLoopbackHost(host) && options.admin.behindTls !== true) {
      throw invalidOption(
        'gateway',
        'admin.behindTls',
        `is not set, so the admin API on ${host} would carry its token and minted keys over the network in the clear`,
        'Terminate TLS in front of the gateway and set admin.behindTls: true (CLI: --admin-behind-tls).',
      );
    }
  }
  return {
    host,
    maxBodyBytes: options.maxBodyBytes ?? 32 * 1024 * 1024,
    holdTtlMs: options.holdTtlMs,
    holdMaxTokens,
  };
}
