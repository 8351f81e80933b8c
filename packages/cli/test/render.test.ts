import { describe, expect, it } from 'vitest';
import { bar, meter, percent } from '../src/render/bar.js';
import { fitLines, renderTable, truncate, wrap } from '../src/render/table.js';
import { paint, processTerminal, terminalWidth, visibleLength } from '../src/render/terminal.js';

describe('terminal rendering', () => {
  it('colours only when allowed, and measures text without its colour codes', () => {
    expect(paint({ color: false }, 'red', 'exhausted')).toBe('exhausted');
    const red = paint({ color: true }, 'red', 'exhausted');
    expect(red).toBe('\u001b[31mexhausted\u001b[39m');
    expect(visibleLength(red)).toBe(9);
  });

  it('fits a terminal that reports no size to 80 columns, and COLUMNS wins over the terminal', () => {
    expect(terminalWidth({}, 0)).toBe(80);
    expect(terminalWidth({}, undefined)).toBe(80);
    expect(terminalWidth({}, 120)).toBe(120);
    expect(terminalWidth({ COLUMNS: '90' }, 0)).toBe(90);
  });

  it('wraps prose with indented continuation lines, and never cuts a word it is told to keep', () => {
    const url = `https://example.com/${'x'.repeat(90)}`;
    const text = `drawdown: open ${url} to sign in, then come back to this terminal window`;
    const lines = fitLines(text, 40, '  ', true).split('\n');
    expect(lines).toContain(`  ${url}`);
    expect(lines.filter((l) => l !== `  ${url}`).every((l) => l.length <= 40)).toBe(true);
    expect(lines.slice(1).every((l) => l.startsWith('  '))).toBe(true);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toBe(text);
  });

  it('turns colour off when NO_COLOR is set, whatever the terminal', () => {
    expect(processTerminal({ NO_COLOR: '1' }).color).toBe(false);
  });

  it('aligns columns by visible width, so coloured cells line up with plain ones', () => {
    const table = renderTable(
      [{ header: 'State' }, { header: 'Left', align: 'right' }],
      [
        [paint({ color: true }, 'green', 'available'), '$1.00'],
        ['low', '$10.00'],
      ],
    );
    const lines = table.split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(lines).toEqual(['State        Left', '─────────  ──────', 'available   $1.00', 'low        $10.00']);
  });

  it('draws bars with eighth-cell precision and meters of fixed width', () => {
    expect(bar(0.5, 4)).toBe('██');
    expect(bar(1 / 16, 4)).toBe('▎');
    expect(bar(2, 3)).toBe('███');
    expect(meter(0.25, 8)).toBe('██░░░░░░');
    expect(meter(Number.NaN, 4)).toBe('░░░░');
    expect(percent(0.364)).toBe(' 36%');
  });
});

describe('progress on stderr', () => {
  it('says what it waits for while an operation is slow, and nothing when it is quick', async () => {
    const { withProgress } = await import('../src/render/progress.js');
    const notes: string[] = [];
    const term = { note: (text: string) => void notes.push(text) };
    await withProgress(term, 'quick', async () => 1, 50);
    expect(notes).toEqual([]);
    await withProgress(term, 'opening the ledger', () => new Promise((resolve) => setTimeout(resolve, 200)), 20);
    expect(notes.length).toBeGreaterThan(0);
    expect(notes[0]).toMatch(/^drawdown: opening the ledger… \(\d+ s\)$/);
  });
});

describe('tables that fit the terminal', () => {
  const columns = [
    { header: 'Id' },
    { header: 'Note', shrink: 'wrap' as const },
    { header: 'Name', shrink: 'truncate' as const },
  ];
  const rows = [
    ['a', 'a rather long note that cannot fit on one line of a narrow terminal', 'a-very-long-pool-name-indeed'],
  ];

  it('wraps and truncates only the shrinkable columns, and leaves the table as it was when it fits', () => {
    const wide = renderTable(columns, rows);
    expect(wide.split('\n')[2]).toBe(
      'a   a rather long note that cannot fit on one line of a narrow terminal  a-very-long-pool-name-indeed',
    );
    expect(renderTable(columns, rows, undefined, { maxWidth: 200 })).toBe(wide);
    const narrow = renderTable(columns, rows, undefined, { maxWidth: 40 }).split('\n');
    for (const line of narrow) expect([...line].length).toBeLessThanOrEqual(40);
    // The note wraps over several lines, word by word; nothing of it is lost.
    const rule = narrow[1]!;
    const start = rule.indexOf('  ') + 2;
    const width = rule.indexOf('  ', start) - start;
    const note = narrow
      .slice(2)
      .map((line) =>
        [...line]
          .slice(start, start + width)
          .join('')
          .trim(),
      )
      .join(' ');
    expect(note).toBe('a rather long note that cannot fit on one line of a narrow terminal');
    expect(narrow[2]).toMatch(/…$/);
  });

  it('wraps a detail row under the table with its indentation', () => {
    const out = renderTable(
      [{ header: 'Pool' }],
      [['trial'], { detail: '  ↳ a limit line that is much too long for the narrow terminal it is shown on' }],
      undefined,
      { maxWidth: 30 },
    );
    const lines = out.split('\n');
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(30);
    expect(lines[3]).toMatch(/^ {2}↳ a limit/);
    expect(lines[4]).toMatch(/^ {4}\S/);
  });

  it('cuts and wraps by display cells, colour codes not counted', () => {
    expect(truncate('\u001b[32mavailable\u001b[39m', 5)).toBe('avai…');
    expect(truncate('\u001b[32mok\u001b[39m', 5)).toBe('\u001b[32mok\u001b[39m');
    expect(wrap('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrap('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
  });
});
