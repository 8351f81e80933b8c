import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeClaudeLogTree } from './claude-logs-tree.js';
import { type Bench, percentile, round } from './lib.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'packages/core/test/fixtures/claude-code-logs/sessions');
const tsx = [
  '--conditions=drawdown-source',
  '--import',
  pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href,
];
const version = (name: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The tree is the same every time (seeded): built once per parameters and fixtures, and kept in the temp directory. */
function tree(files: number, bytes: number): string {
  const dir = join(tmpdir(), `drawdown-bench-claude-logs-${files}-${bytes}-${fixturesFingerprint()}`);
  const marker = join(dir, 'complete');
  if (!existsSync(marker)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const made = writeClaudeLogTree(dir, { files, bytes, now: Date.parse('2026-12-01T12:00:00Z') });
    writeFileSync(marker, JSON.stringify(made));
  }
  return dir;
}

/** Changes when the recorded session logs the tree is made of change. */
function fixturesFingerprint(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(fixtures).sort()) hash.update(name).update(readFileSync(join(fixtures, name)));
  return hash.digest('hex').slice(0, 12);
}

type Totals = Record<'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheCreationTokens', number>;

/** Wall time and peak memory of a whole process (GNU time reports the peak; without it, memory is left out). */
function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { ms: number; maxRssKb?: number; stdout: string } {
  const gnuTime = existsSync('/usr/bin/time');
  const start = process.hrtime.bigint();
  const result = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const rss = gnuTime ? Number(result.stderr.trim().split('\n').pop()) : undefined;
  return { ms, ...(rss !== undefined && Number.isFinite(rss) && { maxRssKb: rss }), stdout: result.stdout };
}

export default (async () => {
  const big = tree(1500, 255_000_000);
  const small = tree(150, 25_500_000);
  const home = join(tmpdir(), 'drawdown-bench-claude-logs-home');
  mkdirSync(home, { recursive: true });
  const cache = join(home, 'reader-cache.json');
  const env = (dir: string) => ({ PATH: process.env.PATH, HOME: home, CLAUDE_CONFIG_DIR: join(dir), TZ: 'UTC' });
  const ccusage = (dir: string, js: boolean) =>
    js
      ? timed(
          process.execPath,
          [join(root, 'node_modules/ccusage-js/dist/index.js'), 'daily', '--json', '--offline'],
          env(dir),
        )
      : timed(join(root, 'node_modules/.bin/ccusage'), ['daily', '--json', '--offline'], env(dir));
  const reader = (dir: string, cacheFile: string) => {
    const run = timed(process.execPath, [...tsx, join(root, 'bench/claude-logs-read.ts'), dir, cacheFile], env(dir));
    const inside = JSON.parse(run.stdout) as { ms: number; maxRssKb: number; tokens: Totals };
    return { wallMs: run.ms, ms: inside.ms, maxRssKb: run.maxRssKb ?? inside.maxRssKb, tokens: inside.tokens };
  };

  // Alternate the tools round by round, so a busy machine slows them alike; medians of three.
  const rounds = Array.from({ length: 3 }, () => {
    const native = ccusage(big, false);
    rmSync(cache, { force: true });
    const first = reader(big, cache);
    const again = reader(big, cache);
    const uncached = reader(big, 'none');
    return { native, first, again, uncached };
  });
  const js = ccusage(big, true);
  const smallRead = reader(small, 'none');
  const ours = rounds[0]!.first.tokens;
  for (const [tool, run] of [
    ['native', rounds[0]!.native],
    ['JS', js],
  ] as const) {
    const theirs = (JSON.parse(run.stdout) as { totals: Totals }).totals;
    for (const key of Object.keys(ours) as Array<keyof Totals>)
      if (ours[key] !== theirs[key])
        throw new Error(`token totals differ from ccusage ${tool} on ${key}: ${ours[key]} vs ${theirs[key]}`);
  }

  const median = (pick: (r: (typeof rounds)[number]) => number) =>
    round(
      percentile(
        rounds.map(pick).sort((a, b) => a - b),
        50,
      ),
    );
  const mb = (kb: number | undefined) => (kb === undefined ? Number.NaN : round(kb / 1024));
  const tree255 = '255 MB tree, 1,500 logs';
  const nativeMs = median((r) => r.native.ms);
  return [
    {
      name: `ccusage ${version('ccusage')} (native), daily, ${tree255}, whole process, median`,
      value: nativeMs,
      unit: 'ms',
    },
    {
      name: `ccusage ${version('ccusage-js')} (JS), daily, ${tree255}, whole process`,
      value: round(js.ms),
      unit: 'ms',
    },
    {
      name: `log reader, first read (no cache), ${tree255}, median`,
      value: median((r) => r.first.ms),
      unit: 'ms',
      aim: `≤ ccusage native (${nativeMs} ms)`,
      note: `whole process with node + tsx start: ${median((r) => r.first.wallMs)} ms; token totals = ccusage's`,
    },
    {
      name: 'log reader, read again, logs unchanged (cache), median',
      value: median((r) => r.again.ms),
      unit: 'ms',
      aim: '≤ 100 ms',
    },
    { name: 'log reader, read without a cache, median', value: median((r) => r.uncached.ms), unit: 'ms' },
    { name: 'ccusage native, peak memory', value: mb(rounds[0]!.native.maxRssKb), unit: 'MB' },
    { name: 'ccusage JS, peak memory', value: mb(js.maxRssKb), unit: 'MB' },
    { name: `log reader process, peak memory, ${tree255}`, value: mb(rounds[0]!.uncached.maxRssKb), unit: 'MB' },
    {
      name: 'log reader process, peak memory, 25.5 MB tree, 150 logs',
      value: mb(smallRead.maxRssKb),
      unit: 'MB',
      aim: 'no growth with log size',
    },
  ];
}) satisfies Bench;
