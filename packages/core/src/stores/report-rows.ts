import type { ChargeRecord, EntryMeta, ReportDimension, ReportRow } from '../contracts/store.js';
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
  for (const row of rows) {
    totals.cost = addNanos(totals.cost, row.cost);
    totals.requests += row.requests;
    totals.inputTokens += row.inputTokens;
    totals.outputTokens += row.outputTokens;
    totals.cacheReadTokens += row.cacheReadTokens;
    totals.cacheWriteTokens += row.cacheWriteTokens;
  }
  return totals;
}
