import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { codeBlocks, typecheckBlocks } from '../../../test-support/readme-blocks.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
// The store examples use the SQLite store: they run inside its package, as its own tests do.
const sqliteDir = fileURLToPath(new URL('../../store-sqlite/', import.meta.url));
const runDir = join(sqliteDir, 'test', `.readme-run-${process.pid}`);
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

/** The README's store examples: TypeScript blocks whose first line names their file, e.g. `// test/contract.test.ts`. */
const storeBlocks = codeBlocks(join(packageDir, 'README.md'))
  .filter((block) => block.lang === 'ts')
  .flatMap((block) => {
    const named = /^\/\/ test\/(\S+\.ts)\n/.exec(block.code);
    return named ? [{ ...block, file: named[1]! }] : [];
  });

interface VitestReport {
  numFailedTests: number;
  testResults: Array<{ name: string; assertionResults: Array<{ fullName: string; status: string }> }>;
}

/** Runs vitest on `files` in a process of its own, as the store package's test command would. */
function vitestRun(
  files: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; report: VitestReport; output: string }> {
  const reportFile = join(runDir, 'report.json');
  // This run's own vitest variables would make the child think it is one of this run's workers.
  const childEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')));
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--project',
      'store-sqlite',
      '--reporter=json',
      `--outputFile=${reportFile}`,
      ...files,
    ],
    { cwd: repoRoot, env: { ...childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      let report: VitestReport;
      try {
        report = JSON.parse(readFileSync(reportFile, 'utf8')) as VitestReport;
      } catch {
        reject(new Error(`vitest exited with ${code} and wrote no report:\n${output}`));
        return;
      }
      resolve({ code, output, report });
    });
  });
}

it('runs the store examples as copied: contract, model, and the race across processes with its worker script', async () => {
  expect(storeBlocks.map((block) => block.file).sort()).toEqual([
    'contract.test.ts',
    'processes.test.ts',
    'workers/ledger-worker.ts',
  ]);
  for (const block of storeBlocks) {
    const file = join(runDir, block.file);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, block.code);
  }
  const { code, report, output } = await vitestRun([relative(repoRoot, runDir)], { DRAWDOWN_MODEL_SEQUENCES: '2' });
  expect(code, output).toBe(0);
  expect(report.numFailedTests).toBe(0);
  // Without `openPeer` the example skips the suite's tests of two handles on one ledger; the rest ran.
  const names = report.testResults.flatMap((file) =>
    file.assertionResults.filter((test) => test.status === 'passed').map((test) => test.fullName),
  );
  expect(names.filter((name) => name.startsWith('sqlite store contract ')).length).toBeGreaterThan(30);
  expect(names.filter((name) => name.startsWith('sqlite store against the money model ')).length).toBeGreaterThan(0);
  expect(names.filter((name) => name.startsWith('sqlite store across real processes ')).length).toBe(4);
}, 240_000);

it('type-checks the store examples as written, imports included', () => {
  expect(typecheckBlocks(storeBlocks, sqliteDir)).toEqual([]);
}, 240_000);
