import { toDecimalString, type UsdDisplay } from '@drawdown/core';
import type { KeySpendReport } from '@drawdown/gateway';
import { amountColumn } from './money.js';
import { csvCell, reportTitle } from './report.js';
import { fitText } from './status.js';
import { renderTable } from './table.js';
import type { Terminal } from './terminal.js';

const WITHOUT_KEY = '(no gateway key)';

/** `drawdown report --by key`: a title, then one row per key, what no key carried, and the pools' total. */
export function renderKeyReport(
  report: KeySpendReport,
  term: Pick<Terminal, 'color' | 'width'>,
  display: UsdDisplay = 'cents',
): string {
  const title = reportTitle(term, 'gateway key', report);
  if (report.total === 0 && report.rows.length === 0) return `${title}\n\nNo requests were charged in this range.`;
  const share = (cost: number) => (report.total > 0 ? `${Math.round((cost / report.total) * 100)}%` : '—');
  const lines = [
    ...report.rows.map((row) => ({ label: row.revoked ? `${row.key} (revoked)` : row.key, cost: row.cost })),
    ...(report.withoutKey !== 0 ? [{ label: WITHOUT_KEY, cost: report.withoutKey }] : []),
  ];
  // In cents the rows are rounded so that they add up to the printed total.
  const costs = amountColumn(
    lines.map((line) => line.cost),
    report.total,
    display,
  );
  const table = renderTable(
    [
      { header: 'Key', shrink: 'truncate' },
      { header: 'Cost', align: 'right' },
      { header: 'Share', align: 'right' },
    ],
    lines.map((line, i) => [line.label, costs.cells[i]!, share(line.cost)]),
    ['Total', costs.total, report.total > 0 ? '100%' : '—'],
    { maxWidth: term.width },
  );
  return `${title}\n\n${table}\n${fitText("Key spend mirrors pool spend: the total is the pools', as in status.", term)}`;
}

export function keyReportJson(report: KeySpendReport): unknown {
  return {
    fromDay: report.fromDay,
    toDay: report.toDay,
    groupBy: ['key'],
    timeZone: report.timeZone,
    totalUsd: toDecimalString(report.total),
    withoutKeyUsd: toDecimalString(report.withoutKey),
    rows: report.rows.map((row) => ({ ...row, costUsd: toDecimalString(row.cost) })),
  };
}

/** RFC 4180 CSV: one row per key, then what no key carried (empty id). */
export function keyReportCsv(report: KeySpendReport): string {
  const lines = [
    'key,id,revoked,cost_usd',
    ...report.rows.map((r) => [csvCell(r.key), r.id, r.revoked ? 'true' : 'false', toDecimalString(r.cost)].join(',')),
    [csvCell(WITHOUT_KEY), '', 'false', toDecimalString(report.withoutKey)].join(','),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
