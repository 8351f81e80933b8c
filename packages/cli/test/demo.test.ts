import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, repoRoot, runDrawdown, tsxLoader, type CliResult, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

let dir: string;
let demo: CliResult;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'drawdown-demo-test-'));
  // The user's own key in the environment must not reach the personal-mode child either.
  demo = await runDrawdown(['demo', '--dir', dir], {
    env: { ANTHROPIC_API_KEY: 'sk-ant-users-env-key-0000', COLUMNS: '80' },
  });
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The lines of the demo's output from the heading of `step` up to the next heading, each timeline
 * event on one line again (the demo wraps long details under the event name, 12 columns in).
 */
function section(step: string): string {
  const lines = demo.stdout.split('\n');
  const start = lines.findIndex((l) => l.includes(step));
  expect(start, `step "${step}" is printed`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && /^\d+\. /.test(l));
  return lines
    .slice(start, end === -1 ? undefined : end)
    .join('\n')
    .replace(/\n {12}(?=\S)/g, ' ');
}

describe('drawdown demo', () => {
  it('runs offline to the end and exits 0', () => {
    expect(unwrapped(demo.stderr)).toBe('');
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/^drawdown demo — offline: a loopback Anthropic API at http:\/\/127\.0\.0\.1:\d+/);
  });

  it('prints the steps in the order of the story', () => {
    const headings = demo.stdout.split('\n').filter((l) => /^\d+\. /.test(l));
    expect(headings).toEqual([
      "1. An agent starts on the app's bundled key with a $10.00 trial",
      '2. The trial is used up: the router switches to personal mode',
      "3. A child agent starts with the user's own sign-in and no API key",
      '4. The weekly plan limit is hit',
      '5. The user opted in, so credits pay',
      '6. The balance crosses the auto-reload threshold and a reload succeeds',
      '7. Where the money stands',
    ]);
  });

  it('spends the $10 trial on the bundled key, announcing each threshold', () => {
    const text = section('1. ');
    expect(text.match(/request\.settled\s+trial\s+\$2\.00 claude-opus-4-7/g)).toHaveLength(5);
    expect(text).toMatch(/budget\.crossed\s+trial\s+50% of the \$10\.00 trial used/);
    expect(text).toMatch(/budget\.crossed\s+trial\s+80% of the \$10\.00 trial used/);
    expect(text).toMatch(/pool\.exhausted\s+trial\s+trial of \$10\.00 used/);
  });

  it('switches to personal mode for good and starts a child without any API key or auth token', () => {
    expect(section('2. ')).toMatch(/route\.switched\s+trial → personal \(for good\)/);
    const child = section('3. ');
    expect(child).toContain('credential variables in its environment: none — it uses its own sign-in');
    expect(child.match(/child turn charged to the plan at API prices: \$0\.18/g)).toHaveLength(2);
    expect(child).toMatch(/pool\.low\s+plan\s+You've used 96% of your weekly limit/);
  });

  it('hits the weekly plan limit, then lets the opted-in credits pay', () => {
    expect(section('4. ')).toMatch(/pool\.exhausted\s+plan\s+plan limit reached; resets at/);
    const credits = section('5. ');
    expect(credits).toMatch(/route\.switched\s+personal → credits/);
    expect(credits.match(/request\.settled\s+credits\s+\$2\.00/g)).toHaveLength(3);
  });

  it('reloads the wallet once the balance falls under the threshold', () => {
    expect(section('6. ')).toMatch(/credits\.reloaded\s+credits\s+credits: reloaded \$20\.00; balance now \$24\.00/);
  });

  it('ends with the status table and the report, which the CLI shows the same way from the ledger it left', async () => {
    const end = section('7. ');
    expect(end).toMatch(/^trial\s+exhausted\s+█{10}\s+100%\s+\$10\.00\s+\$0\.00/m);
    expect(end).toMatch(/^plan\s+exhausted/m);
    expect(end).toMatch(/^credits\s+available\s+.*\$6\.00\s+\$24\.00\s+.*▶ credits$/m);
    expect(end).toMatch(/^Total\s+10\s+700,000\s+524,000\s+0\s+\$16\.36$/m);
    const report = await runInProcess([
      '--config',
      path.join(dir, 'drawdown.config.json'),
      'report',
      '--by',
      'pool',
      '--json',
    ]);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ totalUsd: '16.36' });
  });

  it('fits every line in 80 columns, the timeline included', () => {
    expect(demo.stdout.split('\n').filter((line) => [...line].length > 80)).toEqual([]);
    // A long detail wraps under the event name instead of running on.
    expect(demo.stdout).toMatch(/^ {4}\+\d+\.\d\ds {2}request\.routed .*\n {12}\S/m);
  });

  it('ends, with --dir, on a command that explores the ledger it kept', () => {
    const closing = demo.stdout.trimEnd().split('\n').slice(-3).join('\n');
    expect(closing).toBe(
      `Explore it (or report, which):\n  npx -y pnpm@10 drawdown status \\\n    --config ${path.join(dir, 'drawdown.config.json')}`,
    );
  });

  it('never prints a key or token', () => {
    expect(demo.stdout).not.toMatch(/sk-ant-(demo|users)|demo-sign-in-/);
  });

  it('refuses to run again over the ledger it left, with a hint', async () => {
    const again = await runInProcess(['demo', '--dir', dir]);
    expect(again.code).not.toBe(0);
    expect(unwrapped(again.stderr)).toMatch(
      /already holds a demo ledger .*\nhint: The story starts from an empty ledger/,
    );
  });

  it('refuses --live without ANTHROPIC_API_KEY, with a hint', async () => {
    const result = await runInProcess(['demo', '--live'], { env: { ANTHROPIC_API_KEY: undefined } });
    expect(result.code).not.toBe(0);
    expect(unwrapped(result.stderr)).toMatch(
      /^drawdown: --live needs ANTHROPIC_API_KEY .*\nhint: Export your API key, or run "drawdown demo" without --live/,
    );
  });
});

describe('drawdown demo --json', () => {
  it('tells the story on stderr and prints where the ledger is and how the pools stand on stdout', async () => {
    const jsonDir = mkdtempSync(path.join(tmpdir(), 'drawdown-demo-json-'));
    try {
      const result = await runDrawdown(['demo', '--json', '--dir', path.join(jsonDir, 'demo')]);
      expect(result.code, result.stderr).toBe(0);
      expect(unwrapped(result.stderr)).toContain('7. ');
      const json = JSON.parse(result.stdout) as {
        dir: string;
        configFile: string;
        status: { pools: Array<{ id: string; state: string; spentUsd: string }> };
      };
      expect(json.configFile).toBe(path.join(jsonDir, 'demo', 'drawdown.config.json'));
      expect(json.status.pools.find((p) => p.id === 'trial')).toMatchObject({ state: 'exhausted', spentUsd: '10' });
    } finally {
      rmSync(jsonDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('drawdown demo and its temp directory', () => {
  /** A TMPDIR of its own, so what the demo leaves behind can be counted. */
  const freshTmp = (): string => mkdtempSync(path.join(tmpdir(), 'dd-tmpdir-'));
  const leftBehind = (tmp: string): string[] => readdirSync(tmp).filter((name) => name.startsWith('drawdown-demo-'));

  it('removes its temp directory when it ends, and says how to keep it with a command that works', async () => {
    const tmp = freshTmp();
    try {
      const result = await runDrawdown(['demo'], { env: { TMPDIR: tmp, COLUMNS: '80' } });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`ledger ${tmp}`);
      expect(leftBehind(tmp)).toEqual([]);
      expect(result.stdout.trimEnd().split('\n').slice(-2)).toEqual([
        'The demo removed its temp directory. To keep the ledger and explore it:',
        '  npx -y pnpm@10 drawdown demo --keep',
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);

  it('keeps it with --keep, and the closing command runs as printed from the checkout', async () => {
    const tmp = freshTmp();
    try {
      const result = await runDrawdown(['demo', '--keep'], { env: { TMPDIR: tmp, COLUMNS: '80' } });
      expect(result.code, result.stderr).toBe(0);
      expect(leftBehind(tmp)).toHaveLength(1);
      const lines = result.stdout.trimEnd().split('\n');
      const start = lines.indexOf('Explore it (or report, which):');
      expect(start).toBeGreaterThan(0);
      const command = lines.slice(start + 1).join('\n');
      expect(command).toMatch(/^ {2}npx -y pnpm@10 drawdown status/);
      // The shell joins the continuation lines, exactly as when the user pastes them.
      const ran = spawnSync('sh', ['-c', command], { cwd: repoRoot, encoding: 'utf8', timeout: 150_000 });
      expect(ran.status, ran.stderr).toBe(0);
      expect(ran.stdout).toMatch(/^credits\s+available/m);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);

  it('removes its temp directory when stopped with Ctrl-C', async () => {
    const tmp = freshTmp();
    try {
      const child = spawn(process.execPath, ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'demo'], {
        cwd: repoRoot,
        env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve) =>
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          // Stopped in the middle of the story, once the ledger exists.
          if (/request\.settled/.test(stdout)) resolve();
        }),
      );
      expect(leftBehind(tmp)).toHaveLength(1);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(leftBehind(tmp)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 120_000);
});
