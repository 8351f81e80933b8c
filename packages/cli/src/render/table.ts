import { visibleLength } from './terminal.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** A line under a row that spans the table (a pool's limits), outside the column layout. */
export interface DetailRow {
  detail: string;
}

/**
 * Renders rows as an aligned plain-text table: a header, a rule, the rows, and an optional footer
 * row set off by another rule (totals). Cells may carry ANSI colour; widths ignore it.
 */
export function renderTable(columns: Column[], rows: Array<string[] | DetailRow>, footer?: string[]): string {
  const cellRows = rows.filter((row): row is string[] => Array.isArray(row));
  const all = footer ? [...cellRows, footer] : cellRows;
  const widths = columns.map((column, i) => Math.max(visibleLength(column.header), ...all.map((row) => visibleLength(row[i] ?? ''))));
  const line = (cells: string[]): string =>
    columns
      .map((column, i) => pad(cells[i] ?? '', widths[i]!, column.align ?? 'left'))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const out = [line(columns.map((c) => c.header)), rule, ...rows.map((row) => (Array.isArray(row) ? line(row) : row.detail))];
  if (footer) out.push(rule, line(footer));
  return out.join('\n');
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
