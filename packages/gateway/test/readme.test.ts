import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { blockFile, codeBlocks, runTs, typecheckBlocks } from '../../../test-support/readme-blocks.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const blocks = codeBlocks(path.join(packageDir, 'README.md'));
const tsBlocks = blocks.filter((b) => b.lang === 'ts');
afterAll(() => rmSync(path.join(packageDir, 'test', `.readme-run-${process.pid}`), { recursive: true, force: true }));

it('runs the budget levels example as copied and prints what the README shows', async () => {
  const heading = 'Budget levels: organisation → team → user → key';
  const [example, output] = blocks.filter((b) => b.heading === heading);
  expect(example!.lang).toBe('ts');
  const result = await runTs(blockFile(example!, packageDir), packageDir);
  expect(result.code, result.stderr).toBe(0);
  // The README abbreviates the hold's last digits with "…".
  const expected = output!.code.trimEnd().split('\n');
  const printed = result.stdout.trimEnd().split('\n');
  expect(printed).toHaveLength(expected.length);
  printed.forEach((line, i) => {
    const [head, tail] = expected[i]!.split('…');
    if (tail === undefined) expect(line).toBe(head);
    else expect(line.startsWith(head!) && line.endsWith(tail)).toBe(true);
  });
}, 60_000);

it('every TypeScript block of the README type-checks as written, imports included', () => {
  expect(tsBlocks.length).toBeGreaterThanOrEqual(2);
  for (const block of tsBlocks) expect(block.code, `README line ${block.line}`).toMatch(/^import /m);
  expect(typecheckBlocks(tsBlocks, packageDir)).toEqual([]);
}, 240_000);
