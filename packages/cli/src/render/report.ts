import { toDecimalString, type ReportDimension, type ReportRow, type UsdDisplay } from '@drawdown/core';
import { reportTotals } from '@drawdown/core/internal';
import { bar } from './bar.js';
import { amountColumn } from './money.js';
import { fitText } from './status.js';
import { formatCount, renderTable, truncate } from './table.js';
import { paint, type Terminal } from './terminal.js';

const headers: Record<ReportDimension, string> = { day: 'Day', model: 'Model', pool: 'Pool', route: 'Route' };

export interface ReportView {
  fromDay: string;
  toDay: string;
  groupBy: ReportDimension[];
  timeZone: string;
  rows: ReportRow[];
}

const label = (row: ReportRow, groupBy: ReportDimension[]): string => groupBy.map((d) => row[d] ?? '—').join(' · ');
/** Every local date from `from` to `to` inclusive (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`), end = Date.parse(`${to}T00:00:00Z`);
    t <= end && days.length < 3660;
    t += 86_400_000
  ) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** Rows for the chart: by day alone, every day of the range appears, so gaps show as gaps. */
function chartRows(view: ReportView): ReportRow[] {
  if (view.groupBy.length !== 1 || view.groupBy[0] !== 'day') return view.rows;
  const byDay = new Map(view.rows.map((r) => [r.day, r]));
  return daysBetween(view.fromDay, view.toDay).map(
    (day) =>
      byDay.get(day) ?? {
        day,
        cost: 0,
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
      },
  );
}

/** Horizontal bar chart of cost, one bar per group, scaled to the largest. */
export function renderCostChart(
  view: ReportView,
  term: Pick<Terminal, 'color' | 'width'>,
  display: UsdDisplay = 'cents',
): string {
  const rows = chartRows(view);
  // The same figures as the table below: in cents, rounded so that they add up to its total.
  const costs = amountColumn(
    rows.map((r) => r.cost),
    reportTotals(rows).cost,
    display,
  ).cells;
  const costWidth = Math.max(...costs.map((c) => c.length));
  const countWidth = Math.max(...rows.map((r) => formatCount(r.requests).length));
  // Labels give way before the bar drops under 10 cells: " │" + bar + " " + cost + "  " + count + " req".
  const room = term.width - costWidth - countWidth - 9;
  const labels = rows.map((r) => truncate(label(r, view.groupBy), Math.max(8, room - 10)));
  const labelWidth = Math.max(...labels.map((l) => [...l].length));
  const barWidth = Math.max(10, Math.min(50, room - labelWidth));
  const max = Math.max(...rows.map((r) => r.cost), 1);
  return rows
    .map((row, i) => {
      const drawn = bar(row.cost / max, barWidth);
      return `${labels[i]!.padEnd(labelWidth)} │${paint(term, 'cyan', drawn)}${' '.repeat(barWidth - [...drawn].length)} ${costs[i]!.padStart(costWidth)}  ${formatCount(row.requests)} req`;
    })
    .join('\n');
}

export function renderReportTable(view: ReportView, maxWidth?: number, display: UsdDisplay = 'cents'): string {
  const sum = reportTotals(view.rows);
  const costs = amountColumn(
    view.rows.map((r) => r.cost),
    sum.cost,
    display,
  );
  const cells = (row: Omit<ReportRow, ReportDimension>, cost: string) => [
    formatCount(row.requests),
    formatCount(row.inputTokens),
    formatCount(row.outputTokens),
    formatCount(row.cacheReadTokens + row.cacheWriteTokens),
    cost,
  ];
  return renderTable(
    [
      ...view.groupBy.map((d) => ({ header: headers[d], shrink: 'truncate' as const })),
      { header: 'Requests', align: 'right' as const },
      { header: 'Input', align: 'right' as const },
      { header: 'Output', align: 'right' as const },
      { header: 'Cache', align: 'right' as const },
      { header: 'Cost', align: 'right' as const },
    ],
    view.rows.map((row, i) => [...view.groupBy.map((d) => row[d] ?? '—'), ...cells(row, costs.cells[i]!)]),
    ['Total', ...view.groupBy.slice(1).map(() => ''), ...cells(sum, costs.total)],
    { ...(maxWidth !== undefined && { maxWidth }) },
  );
}

/** A report's bold title: what the spend is split by, over which days, in which time zone. */
export function reportTitle(
  term: Pick<Terminal, 'color' | 'width'>,
  splitBy: string,
  range: { fromDay: string; toDay: string; timeZone: string },
): string {
  return paint(
    term,
    'bold',
    fitText(`Spend by ${splitBy}, ${range.fromDay} to ${range.toDay} (${range.timeZone})`, term),
  );
}

/** The full `drawdown report` screen: a title, the cost chart, then the table with totals. */
export function renderReport(
  view: ReportView,
  term: Pick<Terminal, 'color' | 'width'>,
  display: UsdDisplay = 'cents',
): string {
  const title = reportTitle(term, view.groupBy.join(' and '), view);
  if (view.rows.length === 0) return `${title}\n\nNo requests were charged in this range.`;
  return `${title}\n\n${renderCostChart(view, term, display)}\n\n${renderReportTable(view, term.width, display)}`;
}

export function reportJson(view: ReportView): unknown {
  return {
    fromDay: view.fromDay,
    toDay: view.toDay,
    groupBy: view.groupBy,
    timeZone: view.timeZone,
    totalUsd: toDecimalString(reportTotals(view.rows).cost),
    rows: view.rows.map((row) => ({ ...row, costUsd: toDecimalString(row.cost) })),
  };
}

/** One CSV cell, quoted when it holds a quote, a comma or a line break (RFC 4180). */
export const csvCell = (value: string | number): string =>
  typeof value === 'string' && /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : String(value);

/** RFC 4180 CSV with exact decimal costs. */
export function reportCsv(view: ReportView): string {
  const header = [
    ...view.groupBy,
    'requests',
    'input_tokens',
    'output_tokens',
    'cache_read_tokens',
    'cache_write_tokens',
    'cost_usd',
  ];
  const lines = view.rows.map((row) =>
    [
      ...view.groupBy.map((d) => row[d] ?? ''),
      row.requests,
      row.inputTokens,
      row.outputTokens,
      row.cacheReadTokens,
      row.cacheWriteTokens,
      toDecimalString(row.cost),
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
