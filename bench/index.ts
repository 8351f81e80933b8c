import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchRow } from './lib.js';

// Runs every bench/*.bench.ts (or only those whose name contains an argument) and prints one table.
const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const rows: Array<BenchRow & { area: string }> = [];
for (const file of files) {
  const area = file.replace(/\.bench\.ts$/, '');
  process.stderr.write(`bench: ${area}…\n`);
  const bench = (await import(pathToFileURL(join(here, file)).href)).default as Bench;
  for (const row of await bench()) rows.push({ area, ...row });
}

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  const header = ['area', 'measure', 'value', 'aim', 'note'];
  const body = rows.map((r) => [
    r.area,
    r.name,
    `${r.value.toLocaleString('en-US')} ${r.unit}`,
    r.aim ?? '',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    `${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}\n${body.map(line).join('\n')}\n`,
  );
}
