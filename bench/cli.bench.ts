import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Bench, percentile, round, sampleMicros } from './lib.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = [
  '--conditions=drawdown-source',
  '--import',
  pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href,
  join(root, 'packages/cli/src/bin.ts'),
];

/** Wall time of one CLI run from the sources (node + tsx), in ms. */
function timeRun(args: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [...cli, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`drawdown ${args.join(' ')} failed: ${result.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export default (async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drawdown-cli-bench-'));
  writeFileSync(
    join(dir, 'drawdown.config.json'),
    JSON.stringify({
      store: { kind: 'sqlite', file: 'ledger.sqlite' },
      strategies: { key: { kind: 'apiKey' } },
      pools: { trial: { kind: 'budget', amount: '10' }, daily: { kind: 'budget', amount: '5', period: 'day' } },
      route: [
        { id: 'trial', strategy: 'key', pool: 'trial' },
        { id: 'daily', strategy: 'key', pool: 'daily' },
      ],
    }),
  );
  try {
    const runs = (args: string[], n: number) =>
      Array.from({ length: n }, () => timeRun(args, dir)).sort((a, b) => a - b);
    const estimate = runs(
      ['estimate', '--model', 'claude-sonnet-4-5', '--usage', '{"input_tokens":1000,"output_tokens":500}'],
      7,
    );
    const status = runs(['status'], 7);
    const demo = [1, 2].map((n) => timeRun(['demo', '--dir', join(dir, `demo-${n}`)], dir)).sort((a, b) => a - b);
    // Rendering alone, in process: what a status screen costs once the hub answered.
    const { renderStatus } = await import('../packages/cli/src/render/status.js');
    const pools = Array.from({ length: 20 }, (_, i) => ({
      id: `pool-${i}`,
      kind: 'budget',
      state: 'available' as const,
      spent: i * 1e8,
      held: 0,
      limit: 1e10,
      remaining: 1e10 - i * 1e8,
      utilization: i / 20,
      summary: 'ok',
      limits: [{ name: 'cap', status: 'allowed' as const, used: i * 1e8, cap: 1e10 }],
    }));
    const render = await sampleMicros(
      () => renderStatus({ at: Date.now(), timeZone: 'UTC', pools }, { color: false }),
      2000,
    );
    return [
      {
        name: 'drawdown estimate, cold start from sources, median',
        value: round(percentile(estimate, 50)),
        unit: 'ms',
        aim: '< 1000 ms',
      },
      {
        name: 'drawdown status (SQLite, 2 pools), cold start, median',
        value: round(percentile(status, 50)),
        unit: 'ms',
        aim: '< 1500 ms',
      },
      {
        name: 'drawdown demo, whole story offline, median of 2',
        value: round(percentile(demo, 50)),
        unit: 'ms',
        aim: '< 30000 ms',
      },
      { name: 'status table render, 20 pools, p50', value: round(percentile(render, 50)), unit: 'µs' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}) satisfies Bench;
