import {
  formatResetTime,
  formatUsd,
  toDecimalString,
  type HubStatus,
  type PoolStatus,
  type UsdDisplay,
} from '@drawdown/core';
import type { PoolForecast } from '@drawdown/core/forecast';
import { meter, percent } from './bar.js';
import { fitLines, renderTable, type DetailRow } from './table.js';
import { paint, type Terminal } from './terminal.js';

/**
 * What a renderer needs of the terminal: colour, the columns to fit (no limit when absent), and how
 * amounts are shown (cents unless `--exact`).
 */
export type View = Pick<Terminal, 'color'> & { width?: number; usd?: UsdDisplay };

/** The usage meter is 20 cells where there is room, 10 on an 80-column terminal. */
const meterWidth = (term: View): number => (term.width === undefined || term.width >= 110 ? 20 : 10);

function usageShare(pool: PoolStatus): number | undefined {
  if (pool.utilization !== undefined) return pool.utilization;
  if (pool.limit !== undefined && pool.limit > 0) return Math.min(1, (pool.spent + pool.held) / pool.limit);
  return undefined;
}

function stateCell(term: Pick<Terminal, 'color'>, state: PoolStatus['state']): string {
  return paint(term, state === 'exhausted' ? 'red' : state === 'low' ? 'yellow' : 'green', state);
}

/** A reset time without the zone: the screen's header names it once. */
function resetText(instant: number, status: HubStatus): string {
  return formatResetTime(instant, status.timeZone, status.at).replace(` (${status.timeZone})`, '');
}

/** When the pool's binding limit resets; every other limit's reset is on its own line below. */
function resetCell(pool: PoolStatus, status: HubStatus): string {
  return pool.resetsAt !== undefined && pool.resetsAt > status.at ? resetText(pool.resetsAt, status) : '—';
}

/** One line per limit the pool enforces (caps, plan windows), under the pool's row. */
function limitLines(pool: PoolStatus, status: HubStatus, term: View): DetailRow[] {
  return (pool.limits ?? []).map((limit) => {
    const amount =
      limit.cap !== undefined
        ? `${formatUsd(limit.used ?? 0, term.usd)} of ${formatUsd(limit.cap, term.usd)}`
        : limit.utilization !== undefined
          ? `${Math.round(limit.utilization * 100)}% used`
          : '';
    const reset =
      limit.resetsAt !== undefined && limit.resetsAt > status.at ? `, resets ${resetText(limit.resetsAt, status)}` : '';
    const mark =
      limit.status === 'rejected'
        ? paint(term, 'red', '✗')
        : limit.status === 'allowed_warning'
          ? paint(term, 'yellow', '!')
          : '↳';
    return { detail: paint(term, 'dim', `  ${mark} ${limit.name}${amount ? `: ${amount}` : ''}${reset}`) };
  });
}

function routeCell(pool: PoolStatus, status: HubStatus, term: Pick<Terminal, 'color'>): string {
  const entries = status.route?.entries.filter((e) => e.poolId === pool.id) ?? [];
  if (entries.length === 0) return '—';
  return entries.map((e) => (e.state === 'next' ? paint(term, 'bold', `▶ ${e.entryId}`) : e.entryId)).join(', ');
}

/** Every pool as a table row: state, a usage bar, spend, what is left, caps, reset time, route entries. */
export function renderPoolTable(status: HubStatus, term: View): string {
  const narrow = term.width !== undefined && term.width < 100;
  const rows = status.pools.flatMap((pool) => {
    const share = usageShare(pool);
    const usage =
      share === undefined
        ? '—'
        : `${paint(term, pool.state === 'exhausted' ? 'red' : pool.state === 'low' ? 'yellow' : 'green', meter(share, meterWidth(term)))} ${percent(share)}`;
    const row = [
      pool.id,
      ...(narrow ? [] : [pool.kind]),
      stateCell(term, pool.state),
      usage,
      formatUsd(pool.spent, term.usd),
      pool.remaining === undefined ? '—' : formatUsd(Math.max(0, pool.remaining), term.usd),
      resetCell(pool, status),
      routeCell(pool, status, term),
    ];
    return [row, ...limitLines(pool, status, term)];
  });
  return renderTable(
    [
      { header: 'Pool', shrink: 'truncate' as const },
      // The kind is the first thing to go on a narrow terminal (it is in --json and "config check").
      ...(narrow ? [] : [{ header: 'Kind', shrink: 'truncate' as const }]),
      { header: 'State' },
      { header: 'Usage' },
      { header: 'Spent', align: 'right' as const },
      { header: 'Left', align: 'right' as const },
      { header: 'Resets', shrink: 'wrap' as const },
      // The route has its own table below; here it is a pointer.
      { header: 'Route', shrink: 'truncate' as const },
    ],
    rows,
    undefined,
    { ...(term.width !== undefined && { maxWidth: term.width }) },
  );
}

/**
 * A sentence wrapped to the terminal's width (colour is kept when it fits); `indent` starts each
 * continuation line. `keepWords` never cuts a word (see `wrap`).
 */
export function fitText(text: string, term: View, indent = '', keepWords = false): string {
  return term.width === undefined ? text : fitLines(text, term.width, indent, keepWords);
}

const stateMarks = { next: '▶', standby: '·', exhausted: '✗', left: '✗', 'needs-opt-in': '○' } as const;

/** The route as the router sees it: each entry's state and why, the next entry, what happens after. */
export function renderRoute(status: HubStatus, term: View): string {
  const route = status.route;
  if (!route) return 'No route is configured: add "route" to drawdown.config.json.';
  const rows = route.entries.map((e) => [
    e.state === 'next' ? paint(term, 'bold', stateMarks[e.state]) : stateMarks[e.state],
    e.entryId,
    `${e.strategyId} → ${e.poolId}`,
    e.state,
    // The next entry's full reason repeats the rows above it; its pool's own summary is what is new.
    e.state === 'next' ? e.pool.summary : e.reason,
  ]);
  const table = renderTable(
    [
      { header: '' },
      { header: 'Entry', shrink: 'truncate' },
      { header: 'Strategy → pool', shrink: 'wrap' },
      { header: 'State' },
      { header: 'Why', shrink: 'wrap' },
    ],
    rows,
    undefined,
    { ...(term.width !== undefined && { maxWidth: term.width }) },
  );
  const next = route.next
    ? `Next request: ${paint(term, 'bold', route.next.entryId)} (${route.next.strategyId} → ${route.next.poolId}). When it runs out, ${route.whenExhausted.replace(/^then /, '')}.`
    : paint(term, 'red', `Next request is refused: ${route.refusal?.message ?? 'no entry can pay'}.`);
  return `${table}\n\n${fitText(next, term)}`;
}

/** One line per pool: where it is heading at its recent rate, and the rate assumed. */
export function renderForecasts(forecasts: readonly PoolForecast[], term: View): string {
  const width = Math.max(...forecasts.map((f) => f.poolId.length));
  const lines = forecasts.map((f) => {
    const text = `  ${f.poolId.padEnd(width)}  ${f.outlook}${f.assumes !== undefined ? ` · ${f.assumes}` : ''}`;
    return fitText(text, term, ' '.repeat(width + 4));
  });
  return `${paint(term, 'bold', 'Forecast')} ${paint(term, 'dim', '(projected from recent use, not a promise)')}\n${lines.join('\n')}`;
}

/** The full `drawdown status` screen. */
export function renderStatus(
  status: HubStatus,
  term: View,
  store?: string,
  forecasts?: readonly PoolForecast[],
): string {
  // The ledger gets its own line: a long path should not push the header past the terminal's width.
  const header = `Pools at ${new Date(status.at).toISOString().replace(/\.\d+Z$/, 'Z')} (${status.timeZone})${store !== undefined ? `\nledger: ${store}` : ''}`;
  const pools = status.pools.length === 0 ? 'No pools are configured.' : renderPoolTable(status, term);
  const forecast = forecasts !== undefined && forecasts.length > 0 ? `\n\n${renderForecasts(forecasts, term)}` : '';
  return `${paint(term, 'bold', fitText(header, term))}\n\n${pools}${forecast}\n\n${paint(term, 'bold', 'Route')}\n${renderRoute(status, term)}`;
}

const moneyFields = new Set([
  'remaining',
  'limit',
  'spent',
  'held',
  'used',
  'cap',
  'cost',
  'amount',
  'threshold',
  'balance',
  'perHour',
]);

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
