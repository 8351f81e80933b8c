import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { blockFile, codeBlocks, runTs, typecheckBlocks } from '../../../test-support/readme-blocks.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsBlocks = codeBlocks(path.join(packageDir, 'README.md')).filter((b) => b.lang === 'ts');
afterAll(() => rmSync(path.join(packageDir, 'test', `.readme-run-${process.pid}`), { recursive: true, force: true }));

it('runs the README example as copied and prints what the README says', async () => {
  const block = tsBlocks.find((b) => b.heading === 'Example')!;
  const result = await runTs(blockFile(block, packageDir), packageDir);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout.trim()).toBe('drawdown_spend_nanodollars_total{pool="trial"} 0');
});

it('every TypeScript block of the README type-checks as written', () => {
  expect(typecheckBlocks(tsBlocks, packageDir)).toEqual([]);
}, 240_000);
