import {
  isFundablePool,
  toDecimalString,
  type Hub,
  type LedgerEntry,
  type Nanos,
  type PoolStatus,
  type ReportRow,
  type RouteExplanation,
  type Router,
} from '@drawdown/core';
import { forecastPools, type PoolForecast } from '@drawdown/core/forecast';
import { poolView, routePositions, routeView, type PoolView, type RouteView } from '@drawdown/mcp-server';
import { calendarDays } from './days.js';
import { spendForecast, type SpendForecast } from './forecast.js';
import type { ReconcileCard, ReconcileSource } from './reconcile.js';
import type { AlertLog, AlertView } from './alerts.js';
import { observedCard, type ObservedCard, type ObservedSource } from './observed.js';

/**
 * The JSON the page renders. Money is an exact decimal USD string (the ledger's integer
 * nanodollars, printed); the chart alone turns it into a float, for drawing. Instants are ISO 8601.
 */
export interface DashboardSnapshot {
  /** `zero-config`: no drawdown configuration, only what Claude Code spent here (observed). */
  mode: 'configured' | 'zero-config';
  at: string;
  timeZone: string;
  pools: PoolCard[];
  route?: RouteCard;
  spend: SpendSeries;
  recent: RecentRequest[];
  alerts: AlertView[];
  /** Whether the guarded writes (add funds, auto-reload) are offered. */
  writes: boolean;
  /** Claude Code's own spend from its logs, less what the ledger metered: observed, not enforced. */
  observed?: ObservedCard;
  /** The ledger against Anthropic's usage report (configured mode), or how to turn that on. */
  reconcile?: ReconcileCard;
}

/**
 * A pool as `pool_status` returns it (`@drawdown/mcp-server`'s `poolView`, its forecast included),
 * so the browser page and the MCP App, which refreshes from `pool_status`, read one shape; plus what
 * only the page offers.
 */
export type PoolCard = PoolView & {
  /** Whether the pool can be topped up (the "Add funds" write). */
  fundable: boolean;
};

/** The route as `which_pool` returns it (`@drawdown/mcp-server`'s `routeView`). */
export type RouteCard = RouteView;

/** Spend per local day, split two ways; `days` is the x axis, every series has one value per day. */
export interface SpendSeries {
  days: string[];
  byModel: Array<{ name: string; usd: string[] }>;
  byRoute: Array<{ name: string; usd: string[] }>;
  totalUsd: string;
  /** Where spend is heading at the pools' forecast rates (configured mode): drawn dashed past today. */
  forecast?: SpendForecast;
}

export interface RecentRequest {
  at: string;
  requestId?: string;
  pool: string;
  route?: string;
  model?: string;
  costUsd: string;
  inputTokens?: number;
  outputTokens?: number;
}

export interface SnapshotOptions {
  /** Days of spend history in the chart (default 14, at most 366). */
  days?: number;
  /** How many recent requests to list (default 15). */
  recent?: number;
  alerts?: AlertLog;
  writes?: boolean;
  /** Spend seen outside the ledger (Claude Code's logs), shown beside it. */
  observed?: ObservedSource;
  /** Without a hub: the zone of the days (with a hub, the hub's). */
  timeZone?: string;
  /** Without a hub: the instant of the snapshot (default now). */
  now?: number;
  /** The reconcile panel's data; without it the snapshot has no panel. */
  reconcile?: ReconcileSource;
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function routerOf(hub: Hub): Router | undefined {
  try {
    return hub.router;
  } catch {
    return undefined;
  }
}

function poolCard(
  status: PoolStatus,
  explanation: RouteExplanation | undefined,
  forecast: PoolForecast | undefined,
  fundable: boolean,
): PoolCard {
  return { ...poolView(status, routePositions(explanation, status.id), forecast), fundable };
}

/** One series per value of `key`, largest spender first, zero-filled over `days`. */
function series(rows: ReportRow[], days: string[], key: 'model' | 'route'): SpendSeries['byModel'] {
  const byName = new Map<string, Map<string, Nanos>>();
  for (const row of rows) {
    const name = row[key] ?? '(none)';
    const perDay = byName.get(name) ?? new Map<string, Nanos>();
    perDay.set(row.day!, (perDay.get(row.day!) ?? 0) + row.cost);
    byName.set(name, perDay);
  }
  const total = (m: Map<string, Nanos>): Nanos => [...m.values()].reduce((a, b) => a + b, 0);
  return [...byName.entries()]
    .sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1))
    .map(([name, perDay]) => ({ name, usd: days.map((d) => toDecimalString(perDay.get(d) ?? 0)) }));
}

async function spendSeries(hub: Hub, days: string[]): Promise<SpendSeries> {
  const range = { fromDay: days[0]!, toDay: days[days.length - 1]! };
  const [byModel, byRoute] = await Promise.all([
    hub.report({ ...range, groupBy: ['day', 'model'] }),
    hub.report({ ...range, groupBy: ['day', 'route'] }),
  ]);
  return {
    days,
    byModel: series(byModel, days, 'model'),
    byRoute: series(byRoute, days, 'route'),
    totalUsd: toDecimalString(byModel.reduce((sum, r) => sum + r.cost, 0)),
  };
}

async function recentRequests(hub: Hub, count: number): Promise<RecentRequest[]> {
  const charges = (await hub.store.entries({ kinds: ['charge'] })).filter(
    (e): e is Extract<LedgerEntry, { kind: 'charge' }> => e.kind === 'charge',
  );
  // Only pools of this hub: the ledger also holds the gateway's per-key accounts.
  const pools = new Set(hub.pools().map((p) => p.id));
  return charges
    .filter((e) => pools.has(e.record.account))
    .sort((a, b) => b.record.settledAt - a.record.settledAt)
    .slice(0, count)
    .map(({ record, meta }) => ({
      at: iso(record.settledAt)!,
      ...(meta.requestId !== undefined && { requestId: meta.requestId }),
      pool: record.account,
      ...(meta.route !== undefined && { route: meta.route }),
      ...(meta.model !== undefined && { model: meta.model }),
      costUsd: toDecimalString(record.cost),
      ...(meta.inputTokens !== undefined && { inputTokens: meta.inputTokens }),
      ...(meta.outputTokens !== undefined && { outputTokens: meta.outputTokens }),
    }));
}

/**
 * Reads everything the page shows, from the hub and its ledger, in one pass, with the observed
 * spend beside it. Without a hub (no configuration), the page shows the observed spend alone.
 */
export async function readDashboard(hub: Hub | undefined, options: SnapshotOptions = {}): Promise<DashboardSnapshot> {
  const dayCount = Math.min(Math.max(Math.trunc(options.days ?? 14), 1), 366);
  const now = hub?.clock.now() ?? options.now ?? Date.now();
  const timeZone = hub?.timeZone ?? options.timeZone ?? 'UTC';
  const days = calendarDays(now, timeZone, dayCount);
  const observed = options.observed
    ? options
        .observed({ fromDay: days[0]!, toDay: days[days.length - 1]!, timeZone })
        .then((u) => observedCard(u, days))
    : Promise.resolve(undefined);
  if (!hub) {
    const card = await observed;
    return {
      mode: 'zero-config',
      at: iso(now)!,
      timeZone,
      pools: [],
      spend: { days, byModel: [], byRoute: [], totalUsd: '0' },
      recent: [],
      alerts: [],
      writes: false,
      ...(card && { observed: card }),
    };
  }
  const explanation = await routerOf(hub)?.explain();
  const fromRoute = new Map<string, PoolStatus>((explanation?.entries ?? []).map((e) => [e.poolId, e.pool]));
  const pools = hub.pools();
  const statuses = await Promise.all(pools.map((pool) => fromRoute.get(pool.id) ?? pool.status()));
  const [spend, recent, card, forecasts, reconcile] = await Promise.all([
    spendSeries(hub, days),
    recentRequests(hub, options.recent ?? 15),
    observed,
    // The projection `drawdown status` and `pool_status` show: one mechanism, so every view agrees.
    forecastPools(hub.store, statuses, now),
    options.reconcile?.read(),
  ]);
  return {
    mode: 'configured',
    at: iso(now)!,
    timeZone,
    pools: statuses.map((status, i) => poolCard(status, explanation, forecasts[i], isFundablePool(pools[i]!))),
    ...(explanation && { route: routeView(explanation) }),
    spend: { ...spend, forecast: spendForecast(statuses, forecasts, now, timeZone) },
    recent,
    alerts: options.alerts?.list() ?? [],
    writes: options.writes === true,
    ...(card && { observed: card }),
    ...(reconcile && { reconcile }),
  };
}
