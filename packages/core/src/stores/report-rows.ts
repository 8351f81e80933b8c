import type {
  ChargeRecord,
  EntryMeta,
  LedgerStore,
  ReportDimension,
  ReportQuery,
  ReportRow,
} from '../contracts/store.js';
import { isLimitAccount } from '../limit-accounts.js';
import { addNanos } from '../money.js';

/**
 * Groups charges into report rows, sorted by the grouping keys. Shared by stores that report in
 * process; SQL stores group in the database and must return the same shape and order.
 */
export function groupReportRows(
  charges: Array<{ record: ChargeRecord; meta: EntryMeta }>,
  groupBy: ReportDimension[],
): ReportRow[] {
  const rows = new Map<string, ReportRow>();
  for (const { record, meta } of charges) {
    const dims: Partial<Record<ReportDimension, string>> = {
      day: record.day,
      model: meta.model ?? UNKNOWN_MODEL,
      pool: record.account,
      route: meta.route ?? DIRECT_ROUTE,
    };
    const key = groupBy.map((d) => dims[d]).join('\u0000');
    let row = rows.get(key);
    if (!row) {
      row = { cost: 0, requests: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
      for (const d of groupBy) row[d] = dims[d]!;
      rows.set(key, row);
    }
    row.cost += record.cost;
    row.requests += 1;
    row.inputTokens += meta.inputTokens ?? 0;
    row.outputTokens += meta.outputTokens ?? 0;
    row.cacheReadTokens += meta.cacheReadTokens ?? 0;
    row.cacheWriteTokens += meta.cacheWriteTokens ?? 0;
  }
  return sortReportRows([...rows.values()], groupBy);
}

/**
 * Spend as every view reports it (`hub.report`: the CLI, the dashboard, MCP `usage_report`): the
 * store's rows without limit accounts, whose charges mirror spend already charged to a pool. The
 * store groups by pool as well, so limit accounts can be told apart whatever was asked; the rows
 * are then merged back to the dimensions asked for.
 */
export async function spendReport(store: Pick<LedgerStore, 'report'>, query: ReportQuery): Promise<ReportRow[]> {
  const byPool = query.groupBy.includes('pool') ? query.groupBy : [...query.groupBy, 'pool' as const];
  const rows = (await store.report({ ...query, groupBy: byPool })).filter((row) => !isLimitAccount(row.pool!));
  if (byPool === query.groupBy) return rows;
  const merged = new Map<string, ReportRow>();
  for (const { pool: _, ...row } of rows) {
    const key = query.groupBy.map((d) => (row as ReportRow)[d]).join('\u0000');
    const into = merged.get(key);
    if (into) addCounts(into, row);
    else merged.set(key, row);
  }
  return sortReportRows([...merged.values()], query.groupBy);
}

/**
 * The report order every store returns: by the grouping keys in turn, comparing UTF-16 code units
 * (what JavaScript's `<` does), so SQL stores sort here rather than by their database's collation.
 */
export function sortReportRows(rows: ReportRow[], groupBy: readonly ReportDimension[]): ReportRow[] {
  return rows.sort((a, b) => {
    for (const d of groupBy) {
      const x = a[d] ?? '';
      const y = b[d] ?? '';
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
}

/** What a charge without a model or a route is reported under, in every store. */
const UNKNOWN_MODEL = 'unknown';
const DIRECT_ROUTE = 'direct';

/**
 * The report query parts the SQL stores share (SQLite and PostgreSQL read the same column names), so
 * both group by the same expressions, with the same fallbacks as `groupReportRows`, and map rows alike.
 */
export const sqlReport = {
  /** The SELECT list: the grouping columns, then the sums, named as `ReportRow`'s fields. */
  select(groupBy: readonly ReportDimension[]): string {
    const columns: Record<ReportDimension, string> = {
      day: 'day',
      model: `coalesce(model, '${UNKNOWN_MODEL}')`,
      pool: 'account',
      route: `coalesce(route, '${DIRECT_ROUTE}')`,
    };
    return [
      ...groupBy.map((d) => `${columns[d]} AS "${d}"`),
      'sum(cost) AS "cost"',
      'count(*) AS "requests"',
      'sum(input_tokens) AS "inputTokens"',
      'sum(output_tokens) AS "outputTokens"',
      'sum(cache_read_tokens) AS "cacheReadTokens"',
      'sum(cache_write_tokens) AS "cacheWriteTokens"',
    ].join(', ');
  },
  /** `GROUP BY 1, 2…` for the grouping columns, or nothing for one totals row. */
  groupBy(groupBy: readonly ReportDimension[]): string {
    return groupBy.length > 0 ? `GROUP BY ${groupBy.map((_, i) => i + 1).join(', ')}` : '';
  },
  /** One result row as a `ReportRow` (PostgreSQL returns bigint sums as strings). */
  row(r: Record<string, unknown>, groupBy: readonly ReportDimension[]): ReportRow {
    const row = {} as ReportRow;
    for (const d of groupBy) row[d] = String(r[d]);
    row.cost = Number(r.cost);
    row.requests = Number(r.requests);
    row.inputTokens = Number(r.inputTokens);
    row.outputTokens = Number(r.outputTokens);
    row.cacheReadTokens = Number(r.cacheReadTokens);
    row.cacheWriteTokens = Number(r.cacheWriteTokens);
    return row;
  },
};

export type ReportTotals = Omit<ReportRow, 'day' | 'model' | 'pool' | 'route'>;

/** Sums report rows into one totals line (exact: money stays integer nanodollars). */
export function reportTotals(rows: readonly ReportRow[]): ReportTotals {
  const totals: ReportTotals = {
    cost: 0,
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
  for (const row of rows) addCounts(totals, row);
  return totals;
}

/** Adds a row's counts into another (exact: money stays integer nanodollars). */
function addCounts(into: ReportTotals, row: ReportTotals): void {
  into.cost = addNanos(into.cost, row.cost);
  into.requests += row.requests;
  into.inputTokens += row.inputTokens;
  into.outputTokens += row.outputTokens;
  into.cacheReadTokens += row.cacheReadTokens;
  into.cacheWriteTokens += row.cacheWriteTokens;
}
