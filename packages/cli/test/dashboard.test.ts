import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrawdownConfig } from '../src/config/types.js';
import { useProject } from './project.js';
import { recentClaudeLogs } from '../../../test-support/claude-logs.js';
import { binPath, runDrawdown, tsxLoader, unwrapped } from './run-cli.js';

const SECRET = 'sk-ant-dashboard-cli-SECRET-0123456789';
const config: DrawdownConfig = {
  timeZone: 'UTC',
  store: { kind: 'sqlite', file: 'ledger.sqlite' },
  strategies: { bundled: { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' } },
  pools: { trial: { kind: 'budget', amount: '10.00', label: 'trial' } },
  route: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }],
};
const env = { APP_TRIAL_KEY: SECRET, COLUMNS: '80' };

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});

/** Starts `drawdown dashboard --json …` and resolves with its first stdout line, parsed. */
function startDashboardProcess(
  cwd: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{
  info: { url: string; port: number; writes: boolean; mode: string };
  child: ChildProcess;
  stderr: () => string;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'dashboard', '--json', ...args],
      { cwd, env: { ...process.env, ...env, NO_COLOR: '1', ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ info: JSON.parse(line), child, stderr: () => stderr });
    });
    child.once('close', (code) => reject(new Error(`drawdown dashboard exited (${code}) before listening: ${stderr}`)));
  });
}

const jsonError = (stderr: string): { code: string; message: string; hint: string | null } =>
  JSON.parse(stderr.trim().split('\n').at(-1)!);

describe('drawdown dashboard', () => {
  it('serves the page and a snapshot of the configured pools on 127.0.0.1, read-only, until stopped', async () => {
    const project = useProject(config);
    const { info, child, stderr } = await startDashboardProcess(project.dir, ['--port', '0']);
    expect(info).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/), writes: false });
    // The note on stderr follows the JSON line on stdout.
    for (let i = 0; i < 100 && !stderr().includes('read-only'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(unwrapped(stderr())).toMatch(/drawdown dashboard: http:\/\/127\.0\.0\.1:\d+\/ \(read-only/);
    const page = await fetch(info.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>drawdown');
    const snapshot = (await (await fetch(`${info.url}api/snapshot`)).json()) as {
      pools: Array<{ id: string; remainingUsd: string }>;
    };
    expect(snapshot.pools).toMatchObject([{ id: 'trial', remainingUsd: '10' }]);
    expect(JSON.stringify(snapshot)).not.toContain(SECRET);
    const write = await fetch(`${info.url}api/write/add_funds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(write.status).toBe(403);
    const closed = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
  });

  it("starts without a configuration, showing Claude Code's spend on this machine, observed", async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'drawdown-dashboard-home-'));
    const work = path.join(home, 'work');
    recentClaudeLogs(path.join(home, '.claude'));
    mkdirSync(work);
    const homeEnv = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
    };
    const { info, child, stderr } = await startDashboardProcess(work, ['--port', '0'], homeEnv);
    expect(info).toMatchObject({ mode: 'zero-config', writes: false });
    for (let i = 0; i < 100 && !unwrapped(stderr()).includes('observed'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(unwrapped(stderr())).toMatch(/no configuration: Claude Code's spend on this machine, observed/);
    const snapshot = (await (await fetch(`${info.url}api/snapshot`)).json()) as {
      mode: string;
      pools: unknown[];
      observed: { totalUsd: string; requests: number; observed: boolean };
    };
    expect(snapshot).toMatchObject({ mode: 'zero-config', pools: [], observed: { observed: true, requests: 5 } });
    expect(snapshot.observed.totalUsd).toBe('0.128647');
    const closed = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
    const writes = await runDrawdown(['dashboard', '--writes', '--port', '0', '--json'], { cwd: work, env: homeEnv });
    expect(writes.code).toBe(1);
    expect(jsonError(writes.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_UNAVAILABLE',
      hint: expect.stringContaining('config init'),
    });
  });

  it('refuses a non-loopback host without a token, and bad numbers, as JSON errors naming the fix', async () => {
    const project = useProject(config);
    const remote = await runDrawdown(['dashboard', '--host', '0.0.0.0', '--port', '0', '--json'], {
      cwd: project.dir,
      env,
    });
    expect(remote.code).not.toBe(0);
    expect(jsonError(remote.stderr)).toMatchObject({
      code: 'DRAWDOWN_DASHBOARD_TOKEN_REQUIRED',
      message: expect.stringMatching(/without a token/),
    });
    const port = await runDrawdown(['dashboard', '--port', '99999', '--json'], { cwd: project.dir, env });
    expect(jsonError(port.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      message: expect.stringContaining('--port 99999'),
      hint: expect.stringContaining('--port 7756'),
    });
    const days = await runDrawdown(['dashboard', '--days', '0', '--json'], { cwd: project.dir, env });
    expect(jsonError(days.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
      message: expect.stringContaining('--days 0'),
    });
    const shortToken = await runDrawdown(['dashboard', '--port', '0', '--token', 'short', '--json'], {
      cwd: project.dir,
      env,
    });
    expect(jsonError(shortToken.stderr).message).toMatch(/token.*shorter than 16/);
  });
});
