import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { blockFile, codeBlocks, runTs, typecheckBlocks } from '../../../test-support/readme-blocks.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsBlocks = codeBlocks(path.join(packageDir, 'README.md')).filter((b) => b.lang === 'ts');
afterAll(() => rmSync(path.join(packageDir, 'test', `.readme-run-${process.pid}`), { recursive: true, force: true }));

it('runs the README example as copied, without DRAWDOWN_WEBHOOK_SECRET set', async () => {
  const block = tsBlocks.find((b) => b.heading === 'Example')!;
  const env = { ...process.env };
  delete env.DRAWDOWN_WEBHOOK_SECRET;
  const result = await runTs(blockFile(block, packageDir), packageDir, env);
  expect(result.code, result.stderr).toBe(0);
  const status = JSON.parse(result.stdout) as { id: string; kind: string };
  expect(status).toMatchObject({ id: 'credits', kind: 'credits' });
  // $25 granted + $5 promotional, $0.0735 spent.
  expect(result.stdout).toContain('29.9265');
});

it('every TypeScript block of the README type-checks as written, imports included', () => {
  expect(tsBlocks.length).toBeGreaterThanOrEqual(2);
  for (const block of tsBlocks) expect(block.code, `README line ${block.line}`).toMatch(/^import /m);
  expect(typecheckBlocks(tsBlocks, packageDir)).toEqual([]);
}, 240_000);
