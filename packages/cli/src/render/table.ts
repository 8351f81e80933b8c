import { stripAnsi, visibleLength } from './terminal.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /**
   * How the column gives way when the table is wider than `maxWidth`: `wrap` breaks its cells over
   * several lines at spaces, `truncate` cuts them with "…". Columns without it keep their width.
   */
  shrink?: 'wrap' | 'truncate';
}

export interface TableOptions {
  /** Widest a line may be (the terminal's columns). Shrinkable columns give way first. */
  maxWidth?: number;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Cuts text to `width` display cells, ending with "…" when anything was cut (colour is dropped then). */
export function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  const chars = [...stripAnsi(text)];
  return width <= 1 ? chars.slice(0, width).join('') : `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * Breaks text into lines of at most `width` cells, at spaces where it can (colour is dropped when it
 * wraps). A word wider than `width` is cut, unless `keepWords` (a URL or a path must stay whole to
 * be copied: it gets a line of its own instead).
 */
export function wrap(text: string, width: number, keepWords = false): string[] {
  if (visibleLength(text) <= width) return [text];
  // Leading spaces (an indented line) stay on the first line only.
  const plain = stripAnsi(text);
  const lead = /^ */.exec(plain)![0];
  if (lead.length > 0 && lead.length < width - 8) {
    const [first, ...rest] = wrap(plain.slice(lead.length), width - lead.length, keepWords);
    return [lead + (first ?? ''), ...(rest.length > 0 ? wrap(rest.join(' '), width, keepWords) : [])];
  }
  const lines: string[] = [];
  let current = '';
  for (const word of plain.split(' ')) {
    let rest = word;
    while (!keepWords && [...rest].length > width) {
      if (current !== '') lines.push(current);
      current = '';
      lines.push([...rest].slice(0, width).join(''));
      rest = [...rest].slice(width).join('');
    }
    if (current === '') current = rest;
    else if ([...current].length + 1 + [...rest].length <= width) current += ` ${rest}`;
    else {
      lines.push(current);
      current = rest;
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

/** A line under a row that spans the table (a pool's limits), outside the column layout. */
export interface DetailRow {
  detail: string;
}

const GAP = 2;

/** Column widths that fit `maxWidth`, narrowing the widest shrinkable column one cell at a time. */
function fitWidths(columns: Column[], natural: number[], maxWidth: number | undefined): number[] {
  const widths = [...natural];
  if (maxWidth === undefined) return widths;
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  const floor = (i: number): number =>
    Math.min(natural[i]!, Math.max(6, Math.min(visibleLength(columns[i]!.header), 12)));
  while (total() > maxWidth) {
    let widest = -1;
    columns.forEach((column, i) => {
      if (column.shrink !== undefined && widths[i]! > floor(i) && (widest === -1 || widths[i]! > widths[widest]!))
        widest = i;
    });
    if (widest === -1) break;
    widths[widest]! -= 1;
  }
  return widths;
}

/**
 * Every line of `text` wrapped to `width`; `indent` starts each continuation line. `keepWords`
 * never cuts a word (see `wrap`).
 */
export function fitLines(text: string, width: number, indent = '', keepWords = false): string {
  return text
    .split('\n')
    .flatMap((line) => {
      const [first, ...rest] = wrap(line, width, keepWords);
      return rest.length === 0
        ? [first ?? '']
        : [first!, ...wrap(rest.join(' '), width - indent.length, keepWords).map((l) => indent + l)];
    })
    .join('\n');
}

/**
 * Renders rows as an aligned plain-text table: a header, a rule, the rows, and an optional footer
 * row set off by another rule (totals). Cells may carry ANSI colour; widths ignore it. With
 * `maxWidth`, shrinkable columns wrap or truncate so every line fits, and detail rows wrap.
 */
export function renderTable(
  columns: Column[],
  rows: Array<string[] | DetailRow>,
  footer?: string[],
  options: TableOptions = {},
): string {
  const cellRows = rows.filter((row): row is string[] => Array.isArray(row));
  const all = footer ? [...cellRows, footer] : cellRows;
  const natural = columns.map((column, i) =>
    Math.max(visibleLength(column.header), ...all.map((row) => visibleLength(row[i] ?? ''))),
  );
  const widths = fitWidths(columns, natural, options.maxWidth);
  const lines = (cells: string[]): string[] => {
    const split = columns.map((column, i) => {
      const cell = cells[i] ?? '';
      if (visibleLength(cell) <= widths[i]!) return [cell];
      return column.shrink === 'wrap' ? wrap(cell, widths[i]!) : [truncate(cell, widths[i]!)];
    });
    const height = Math.max(...split.map((s) => s.length));
    return Array.from({ length: height }, (_, line) =>
      columns
        .map((column, i) => pad(split[i]![line] ?? '', widths[i]!, column.align ?? 'left'))
        .join(' '.repeat(GAP))
        .trimEnd(),
    );
  };
  const detail = (text: string): string[] => {
    if (options.maxWidth === undefined || visibleLength(text) <= options.maxWidth) return [text];
    const indent = /^\s*/.exec(stripAnsi(text))![0];
    return wrap(stripAnsi(text).trimStart(), options.maxWidth - indent.length - 2).map(
      (line, i) => `${indent}${i === 0 ? '' : '  '}${line}`,
    );
  };
  const rule = widths.map((w) => '─'.repeat(w)).join(' '.repeat(GAP));
  const out = [
    ...lines(columns.map((c) => c.header)),
    rule,
    ...rows.flatMap((row) => (Array.isArray(row) ? lines(row) : detail(row.detail))),
  ];
  if (footer) out.push(rule, ...lines(footer));
  return out.join('\n');
}

/** 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
