import { DrawdownError, type Hub, type PoolStatus, type RouteExplanation, type Router } from '@drawdown/core';
import { forecastPools } from '@drawdown/core/forecast';
import { McpErrorCodes } from './errors.js';
import type { PoolsView, PoolView } from './schemas.js';
import { iso, poolView, routePositions } from './views.js';

/** The hub's router, or undefined when the hub was created without a route. */
export function routerOf(hub: Hub): Router | undefined {
  try {
    return hub.router;
  } catch {
    return undefined;
  }
}

export function requireRouter(hub: Hub): Router {
  const router = routerOf(hub);
  if (!router) {
    throw new DrawdownError(
      McpErrorCodes.NO_ROUTE,
      'this drawdown hub has no route, so there is no pool order to explain. Configure a route (entries of strategy and pool) and restart the server.',
    );
  }
  return router;
}

/**
 * Every pool's status (or one's) and the route explanation. Pools on the route take their status
 * from the explanation, so each pool's `status()` is read once per call.
 */
export async function readStatuses(
  hub: Hub,
  poolId?: string,
): Promise<{ statuses: PoolStatus[]; explanation?: RouteExplanation }> {
  const selected = poolId === undefined ? hub.pools() : [hub.pool(poolId)];
  const explanation = await routerOf(hub)?.explain();
  const fromRoute = new Map<string, PoolStatus>((explanation?.entries ?? []).map((e) => [e.poolId, e.pool]));
  const statuses = await Promise.all(selected.map((pool) => fromRoute.get(pool.id) ?? pool.status()));
  return { statuses, ...(explanation && { explanation }) };
}

/** Every pool (or one) as JSON, with its route position. */
export async function readPools(hub: Hub, poolId?: string): Promise<PoolsView> {
  const { statuses, explanation } = await readStatuses(hub, poolId);
  const now = hub.clock.now();
  // The same projection `drawdown status` prints: one mechanism, so every view agrees.
  const forecasts = await forecastPools(hub.store, statuses, now);
  return {
    at: iso(now)!,
    timeZone: hub.timeZone,
    pools: statuses.map(
      (status, i): PoolView => poolView(status, routePositions(explanation, status.id), forecasts[i]),
    ),
  };
}

/** Secret values held by the hub's strategies: removed from anything the server sends. */
export function secretsOf(hub: Hub): string[] {
  const strategies = new Set((routerOf(hub)?.entries ?? []).map((e) => e.strategy));
  return [...strategies].flatMap((s) => s.secrets?.() ?? []).filter((s) => s.length >= 6);
}

export type Scrub = (text: string) => string;

/** Replaces every secret the hub knows with a marker; read fresh each call so rotated keys count. */
export function scrubberFor(hub: Hub): Scrub {
  return (text) => {
    let out = text;
    // Returns the very same string when nothing matched, so callers can tell no secret was there.
    for (const secret of secretsOf(hub)) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  };
}
