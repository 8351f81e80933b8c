import { formatResetTime, formatUsd, toDecimalString, type HubStatus, type PoolStatus } from '@drawdown/core';
import { meter, percent } from './bar.js';
import { renderTable } from './table.js';
import { paint, type Terminal } from './terminal.js';

const METER_WIDTH = 20;

function usageShare(pool: PoolStatus): number | undefined {
  if (pool.utilization !== undefined) return pool.utilization;
  if (pool.limit !== undefined && pool.limit > 0) return Math.min(1, (pool.spent + pool.held) / pool.limit);
  return undefined;
}

function stateCell(term: Pick<Terminal, 'color'>, state: PoolStatus['state']): string {
  return paint(term, state === 'exhausted' ? 'red' : state === 'low' ? 'yellow' : 'green', state);
}

function capsCell(pool: PoolStatus): string {
  const caps = (pool.limits ?? [])
    .map((limit) => (limit.cap !== undefined ? `${limit.name} ${formatUsd(limit.cap)}` : limit.utilization !== undefined ? `${limit.name} ${Math.round(limit.utilization * 100)}%` : limit.name))
    .filter((text) => text.length > 0);
  if (caps.length > 0) return caps.join(', ');
  return pool.limit !== undefined ? formatUsd(pool.limit) : '—';
}

/** The soonest reset among the pool's limits that are not simply open. */
function resetCell(pool: PoolStatus, status: HubStatus): string {
  const resets = [pool.resetsAt, ...(pool.limits ?? []).map((l) => l.resetsAt)].filter((t): t is number => t !== undefined && t > status.at);
  if (resets.length === 0) return '—';
  return formatResetTime(Math.min(...resets), status.timeZone, status.at);
}

function routeCell(pool: PoolStatus, status: HubStatus, term: Pick<Terminal, 'color'>): string {
  const entries = status.route?.entries.filter((e) => e.poolId === pool.id) ?? [];
  if (entries.length === 0) return '—';
  return entries.map((e) => (e.state === 'next' ? paint(term, 'bold', `▶ ${e.entryId}`) : e.entryId)).join(', ');
}

/** Every pool as a table row: state, a usage bar, spend, what is left, caps, reset time, route entries. */
export function renderPoolTable(status: HubStatus, term: Pick<Terminal, 'color'>): string {
  const rows = status.pools.map((pool) => {
    const share = usageShare(pool);
    const usage = share === undefined ? '—' : `${paint(term, pool.state === 'exhausted' ? 'red' : pool.state === 'low' ? 'yellow' : 'green', meter(share, METER_WIDTH))} ${percent(share)}`;
    return [
      pool.id,
      pool.kind,
      stateCell(term, pool.state),
      usage,
      formatUsd(pool.spent),
      pool.remaining === undefined ? '—' : formatUsd(Math.max(0, pool.remaining)),
      capsCell(pool),
      resetCell(pool, status),
      routeCell(pool, status, term),
    ];
  });
  return renderTable(
    [
      { header: 'Pool' },
      { header: 'Kind' },
      { header: 'State' },
      { header: 'Usage' },
      { header: 'Spent', align: 'right' },
      { header: 'Left', align: 'right' },
      { header: 'Caps' },
      { header: 'Resets' },
      { header: 'Route' },
    ],
    rows,
  );
}

const stateMarks = { next: '▶', standby: '·', exhausted: '✗', left: '✗', 'needs-opt-in': '○' } as const;

/** The route as the router sees it: each entry's state and why, the next entry, what happens after. */
export function renderRoute(status: HubStatus, term: Pick<Terminal, 'color'>): string {
  const route = status.route;
  if (!route) return 'No route is configured: add "route" to drawdown.config.json.';
  const rows = route.entries.map((e) => [
    e.state === 'next' ? paint(term, 'bold', stateMarks[e.state]) : stateMarks[e.state],
    e.entryId,
    `${e.strategyId} → ${e.poolId}`,
    e.state,
    e.reason,
  ]);
  const table = renderTable([{ header: '' }, { header: 'Entry' }, { header: 'Strategy → pool' }, { header: 'State' }, { header: 'Why' }], rows);
  const next = route.next
    ? `Next request: ${paint(term, 'bold', route.next.entryId)} (${route.next.strategyId} → ${route.next.poolId}). When it runs out, ${route.whenExhausted.replace(/^then /, "")}.`
    : paint(term, 'red', `Next request is refused: ${route.refusal?.message ?? 'no entry can pay'}.`);
  return `${table}\n\n${next}`;
}

/** The full `drawdown status` screen. */
export function renderStatus(status: HubStatus, term: Pick<Terminal, 'color'>, store?: string): string {
  const header = `Pools at ${new Date(status.at).toISOString().replace(/\.\d+Z$/, 'Z')} (${status.timeZone})${store !== undefined ? ` · ${store}` : ''}`;
  const pools = status.pools.length === 0 ? 'No pools are configured.' : renderPoolTable(status, term);
  return `${paint(term, 'bold', header)}\n\n${pools}\n\n${paint(term, 'bold', 'Route')}\n${renderRoute(status, term)}`;
}

const moneyFields = new Set(['remaining', 'limit', 'spent', 'held', 'used', 'cap', 'cost', 'amount', 'threshold', 'balance']);

/**
 * JSON-safe copy of a status for `--json`: every money field (integer nanodollars) gains an exact
 * decimal `…Usd` string next to it, and every `…At` instant an ISO `…AtIso` string.
 */
export function withDecimalStrings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDecimalStrings);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = withDecimalStrings(field);
    if (moneyFields.has(key) && Number.isSafeInteger(field)) out[`${key}Usd`] = toDecimalString(field as number);
    if (/At$/.test(key) && Number.isSafeInteger(field)) out[`${key}Iso`] = new Date(field as number).toISOString();
  }
  return out;
}
