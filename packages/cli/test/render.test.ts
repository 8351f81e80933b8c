import { describe, expect, it } from 'vitest';
import { bar, meter, percent } from '../src/render/bar.js';
import { renderTable } from '../src/render/table.js';
import { paint, processTerminal, visibleLength } from '../src/render/terminal.js';

describe('terminal rendering', () => {
  it('colours only when allowed, and measures text without its colour codes', () => {
    expect(paint({ color: false }, 'red', 'exhausted')).toBe('exhausted');
    const red = paint({ color: true }, 'red', 'exhausted');
    expect(red).toBe('\u001b[31mexhausted\u001b[39m');
    expect(visibleLength(red)).toBe(9);
  });

  it('turns colour off when NO_COLOR is set, whatever the terminal', () => {
    expect(processTerminal({ NO_COLOR: '1' }).color).toBe(false);
  });

  it('aligns columns by visible width, so coloured cells line up with plain ones', () => {
    const table = renderTable([{ header: 'State' }, { header: 'Left', align: 'right' }], [[paint({ color: true }, 'green', 'available'), '$1.00'], ['low', '$10.00']]);
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
