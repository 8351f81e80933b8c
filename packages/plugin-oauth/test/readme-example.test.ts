import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { blockFile, codeBlocks, typecheckBlocks } from '../../../test-support/readme-blocks.js';
import { outputOf, spawnTs } from './support/spawn.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const blocks = codeBlocks(path.join(packageDir, 'README.md'));
const tsBlocks = blocks.filter((b) => b.lang === 'ts');
afterAll(() => rmSync(path.join(packageDir, 'test', `.readme-run-${process.pid}`), { recursive: true, force: true }));

it('runs the README\'s "Try it" block as copied: the plan refuses with its reset time, and credits pay after the opt-in', async () => {
  const block = tsBlocks.find((b) => b.heading === 'Try it')!;
  const result = await outputOf(spawnTs(pathToFileURL(blockFile(block, packageDir)).href, []));
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^exhausted: plan limit reached; resets at .+ \(America\/Los_Angeles\)$/m);
  expect(result.stdout).toMatch(/^You've hit your session limit · resets /m);
  expect(result.stdout).toContain(
    'refused: no route entry can pay for this request: personal: plan limit reached; resets at',
  );
  expect(result.stdout).toContain('now paying: paid');
}, 60_000);

it('every TypeScript block of the README type-checks as written, imports included', () => {
  // The blocks that start Claude Code or sign in to a server are checked, not run.
  expect(tsBlocks.length).toBeGreaterThanOrEqual(4);
  for (const block of tsBlocks) expect(block.code, `README line ${block.line}`).toMatch(/^import /m);
  expect(typecheckBlocks(tsBlocks, packageDir)).toEqual([]);
}, 240_000);
