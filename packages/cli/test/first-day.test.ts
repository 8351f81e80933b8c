import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { recentClaudeLogs } from '../../../test-support/claude-logs.js';
import {
  chromiumArgs,
  chromiumAvailable,
  chromiumPath,
  postgresAvailable,
  postgresUrl,
} from '../../../test-support/services.js';
import { binPath, tsxLoader, type CliResult, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

/** Screenshots kept as CI artifacts (git ignores the directory). */
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
/** What the real recorded Claude Code sessions cost at API prices (core's fixtures). */
const CLAUDE_CODE_SPEND = '0.128647';

const haveBrowser = chromiumAvailable('the first-day dashboard check');
const havePostgres = await postgresAvailable("the first day's team profile");

const home = mkdtempSync(path.join(tmpdir(), 'drawdown-first-day-'));
const work = path.join(home, 'work');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

/** A fresh machine: nothing of this one's drawdown or Claude settings, keys unset until exported. */
const machine: Record<string, string | undefined> = {
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, '.config'),
  XDG_CACHE_HOME: path.join(home, '.cache'),
  XDG_DATA_HOME: undefined,
  CLAUDE_CONFIG_DIR: undefined,
  DRAWDOWN_CONFIG: undefined,
  DRAWDOWN_DB: undefined,
  DRAWDOWN_TIME_ZONE: 'UTC',
  ANTHROPIC_API_KEY: undefined,
  ANTHROPIC_AUTH_TOKEN: undefined,
  CLAUDE_CODE_OAUTH_TOKEN: undefined,
  MYAPP_TRIAL_KEY: undefined,
  COLUMNS: '80',
};
const exported = { MYAPP_TRIAL_KEY: 'sk-ant-first-day-trial', ANTHROPIC_API_KEY: 'sk-ant-first-day-own' };

/** Every line printed for people along the way, to hold to 80 columns at the end. */
const printed: Array<{ command: string; line: string }> = [];

/** One command as the user types it (in this process: the same program as the binary). */
async function drawdown(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CliResult> {
  const result = await runInProcess(args, {
    cwd: options.cwd ?? work,
    env: { ...machine, ...options.env },
    ...(options.input !== undefined && { input: options.input }),
  });
  const command = args.join(' ');
  const shown = args.includes('--json') ? result.stderr : result.stdout + result.stderr;
  for (const line of shown.split('\n')) printed.push({ command, line });
  return result;
}

/** Starts `drawdown dashboard` as the user would (a long-running process) and resolves with its URL. */
function startDashboard(env: Record<string, string | undefined>): Promise<string> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, NO_COLOR: '1', ...machine, ...env }))
    if (value !== undefined) childEnv[key] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'dashboard', '--port', '0', '--json'],
      { cwd: work, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('close', (code) => reject(new Error(`drawdown dashboard exited (${code}): ${stderr}`)));
  });
}

describe('the first day, in a fresh HOME with real Claude Code logs', () => {
  it('status, config init for each profile, a check that is green only when status works, credits, report and the dashboard', async () => {
    recentClaudeLogs(path.join(home, '.claude'));
    mkdirSync(work);

    // 1–2. Nothing configured: status shows what Claude Code spent here, observed.
    const first = await drawdown(['status']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Claude Code on this machine, .* at API prices:/);
    const before = await drawdown(['report', '--json']);
    expect(JSON.parse(before.stdout)).toMatchObject({ mode: 'zero-config', totalUsd: CLAUDE_CODE_SPEND });

    // 3. The desktop-app profile, for every project, answered by a script: every default taken.
    const desktop = await drawdown(['config', 'init'], { input: '1\nglobal\n\n\n\n' });
    expect(desktop.code, desktop.stderr).toBe(0);
    expect(unwrapped(desktop.stderr)).toContain('MYAPP_TRIAL_KEY is not set here.');
    const userFile = path.join(home, '.config', 'drawdown', 'drawdown.config.json');
    expect(desktop.stdout).toContain(`wrote ${userFile.slice(0, 40)}`);

    // 4. Red while the keys are unset, and status would offer pools no key can draw; green once exported.
    const red = await drawdown(['config', 'check', '--json']);
    expect(red.code).toBe(1);
    expect((JSON.parse(red.stdout) as { problems: Array<{ path: string }> }).problems.map((p) => p.path)).toEqual([
      'strategies.bundled',
      'strategies.own-key',
    ]);
    const green = await drawdown(['config', 'check'], { env: exported });
    expect(green.code, green.stdout).toBe(0);
    expect(green.stdout).toContain(`✓ ${userFile} is valid`);
    const configured = await drawdown(['status'], { env: exported });
    expect(configured.code).toBe(0);
    expect(configured.stdout).toMatch(/^credits\s+exhausted\b/m);

    // 3–4 again: the api-key profile here, red without its key, green with it, and status works.
    const apiDir = path.join(work, 'api');
    mkdirSync(apiDir);
    const api = await drawdown(['config', 'init'], { cwd: apiDir, input: '2\nhere\n\n\n' });
    expect(api.code, api.stderr).toBe(0);
    expect((await drawdown(['config', 'check'], { cwd: apiDir })).code).toBe(1);
    expect((await drawdown(['config', 'check'], { cwd: apiDir, env: exported })).code).toBe(0);
    expect((await drawdown(['status'], { cwd: apiDir, env: exported })).code).toBe(0);

    // The team profile: a database that does not exist is refused with how to create it, then one that does.
    if (havePostgres) {
      const teamDir = path.join(work, 'team');
      mkdirSync(teamDir);
      const missing = postgresUrl.replace(/\/[^/]*$/, `/drawdown_first_day_${process.pid}`);
      const team = await drawdown(['config', 'init'], {
        cwd: teamDir,
        env: exported,
        input: `3\nhere\n\n${missing}\n${postgresUrl}\n\n`,
      });
      expect(team.code, team.stderr).toBe(0);
      expect(team.stderr.replace(/\s+/g, ' ')).toContain('Create the database: createdb');
      expect((await drawdown(['config', 'check'], { cwd: teamDir, env: exported })).code).toBe(0);
      expect((await drawdown(['status'], { cwd: teamDir, env: exported })).code).toBe(0);
    }

    // 5. The desktop app's credits: opted in and funded from the terminal, each after a yes.
    const optIn = await drawdown(['credits', 'opt-in'], { env: exported, input: 'y\n' });
    expect(optIn.code, optIn.stderr).toBe(0);
    const add = await drawdown(['credits', 'add', '25'], { env: exported, input: 'y\n' });
    expect(add.code, add.stderr).toBe(0);
    const funded = await drawdown(['status'], { env: exported });
    expect(funded.stdout).toMatch(/^credits\s+available\b/m);
    // One forecast line per pool.
    const forecast = funded.stdout.slice(funded.stdout.indexOf('Forecast'));
    for (const pool of ['trial', 'plan', 'credits']) expect(forecast).toMatch(new RegExp(`^  ${pool}\\s+\\S`, 'm'));

    // 6. Configured, the report still shows what Claude Code spent, observed beside the ledger.
    const report = await drawdown(['report'], { env: exported });
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^Claude Code on this machine, .* at API prices:/m);
    const reportJson = await drawdown(['report', '--json'], { env: exported });
    expect(JSON.parse(reportJson.stdout)).toMatchObject({ observed: { totalUsd: CLAUDE_CODE_SPEND, observed: true } });

    // Every line printed for people so far fits 80 columns.
    expect(printed.filter(({ line }) => [...line].length > 80)).toEqual([]);

    // 7. The dashboard in Chromium at 1280 and 375 px, screenshots kept.
    if (!haveBrowser) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    const url = await startDashboard(exported);
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    try {
      for (const [width, height] of [
        [1280, 900],
        [375, 812],
      ] as const) {
        const page = await browser.newPage({ viewport: { width, height } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await page.locator('[data-pool="credits"]').waitFor();
        const scrollWidth = await page.evaluate(
          () =>
            (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
              .documentElement.scrollWidth,
        );
        expect(scrollWidth, `page width at ${width} px`).toBeLessThanOrEqual(width);
        expect(await page.locator('body').textContent()).toContain('Claude Code');
        await page.screenshot({ path: path.join(ARTIFACTS, `first-day-${width}.png`), fullPage: true });
        expect(errors).toEqual([]);
        await page.close();
      }
    } finally {
      await browser.close();
    }
    expect(readFileSync(path.join(ARTIFACTS, 'first-day-375.png')).length).toBeGreaterThan(1000);
  }, 600_000);
});
