import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRateCard, usd } from '@drawdown/core';
import { replies, startAnthropicServer } from '@drawdown/testkit';
import type { DrawdownConfig } from '../src/config/types.js';
import { useProject } from './project.js';
import { binPath, runDrawdown, tsxLoader, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';
import { postgresAvailable, postgresUrl } from '../../../test-support/services.js';

const TRIAL_SECRET = 'sk-ant-gateway-trial-SECRET-0123456789';
const gatewayConfig = (store: DrawdownConfig['store'], trial = '1.00'): DrawdownConfig => ({
  timeZone: 'UTC',
  store,
  strategies: { bundled: { kind: 'apiKey', envVar: 'APP_TRIAL_KEY' } },
  pools: { trial: { kind: 'budget', amount: trial, label: 'trial' } },
  route: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }],
});
const env = { APP_TRIAL_KEY: TRIAL_SECRET, COLUMNS: '80' };
const ask = { model: 'claude-sonnet-4-5', max_tokens: 1_000, messages: [{ role: 'user', content: 'Hello' }] };

interface RunningGateway {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

const running: RunningGateway[] = [];
afterAll(async () => {
  for (const gateway of running) await gateway.stop();
});

/** Starts `drawdown gateway --json` as its own process and waits for the line with its URL. */
function startGatewayProcess(
  cwd: string,
  upstream: string,
  more: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningGateway> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=drawdown-source',
        '--import',
        tsxLoader,
        binPath,
        'gateway',
        '--port',
        '0',
        '--json',
        '--upstream',
        upstream,
        ...(more.args ?? []),
      ],
      {
        cwd,
        env: { ...process.env, ...env, ...more.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    const closed = new Promise<void>((done) => child.once('close', () => done()));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      const gateway: RunningGateway = {
        url: (JSON.parse(line) as { url: string }).url,
        child,
        stderr: () => stderr,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          await closed;
        },
      };
      running.push(gateway);
      resolve(gateway);
    });
    child.once('close', (code) => reject(new Error(`drawdown gateway exited (${code}) before listening: ${stderr}`)));
  });
}

/** The JSON error a command prints under --json: one object on the last line of stderr. */
const jsonError = (stderr: string): { code: string; message: string; hint: string | null } =>
  JSON.parse(stderr.trim().split('\n').at(-1)!);

const post = (url: string, key: string, body: object = ask) =>
  fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });

describe('drawdown keys', () => {
  it('creates a key printed once, lists it without the key, revokes it, and reports bad routes as JSON errors', async () => {
    const project = useProject(gatewayConfig({ kind: 'sqlite', file: 'ledger.sqlite' }));
    const created = await runDrawdown(['keys', 'create', 'cursor-laptop', '--route', 'trial', '--budget', '2.50'], {
      cwd: project.dir,
      env,
    });
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^ddk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(unwrapped(created.stderr)).toContain('shown once');
    const list = await runInProcess(['keys', 'list'], { cwd: project.dir, env });
    expect(list.stdout).toMatch(
      /^cursor-laptop\s+[a-z0-9]{12}\s+trial\s+\$2\.50\s+\$0\.00\s+\d{4}-\d\d-\d\d\s+active$/m,
    );
    expect(list.stdout).not.toContain(key);
    expect(Math.max(...list.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    const json = JSON.parse((await runInProcess(['keys', 'list', '--json'], { cwd: project.dir, env })).stdout) as {
      keys: object[];
    };
    expect(json.keys).toEqual([
      expect.objectContaining({
        name: 'cursor-laptop',
        routes: ['trial'],
        budgetUsd: '2.5',
        spentUsd: '0',
        state: 'active',
      }),
    ]);
    expect(JSON.stringify(json)).not.toContain(key.split('_')[2]);
    const revoked = await runInProcess(['keys', 'revoke', 'cursor-laptop', '--json'], { cwd: project.dir, env });
    expect(JSON.parse(revoked.stdout)).toMatchObject({ name: 'cursor-laptop', state: 'revoked' });
    const again = await runInProcess(['keys', 'revoke', 'cursor-laptop', '--json'], { cwd: project.dir, env });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(jsonError(again.stderr)).toMatchObject({
      code: 'DRAWDOWN_GATEWAY_UNKNOWN_KEY',
      message: expect.stringContaining('no active key is named "cursor-laptop"'),
    });
    const badRoute = await runInProcess(['keys', 'create', 'x', '--route', 'nope', '--json'], {
      cwd: project.dir,
      env,
    });
    expect(badRoute.code).toBe(1);
    expect(jsonError(badRoute.stderr)).toMatchObject({
      code: 'DRAWDOWN_GATEWAY_INVALID_KEY_REQUEST',
      hint: expect.stringContaining('drawdown which'),
    });
    const badBudget = await runInProcess(['keys', 'create', 'y', '--route', 'trial', '--budget', 'lots'], {
      cwd: project.dir,
      env,
    });
    expect(badBudget.code).toBe(1);
    expect(unwrapped(badBudget.stderr)).toContain('budget "lots" is not a USD amount');
  });

  it('creates day and month budgets, lists each with its period and spend in the current period, and refuses an unknown --period', async () => {
    const usage = { input_tokens: 900, output_tokens: 120 };
    const upstream = await startAnthropicServer({
      credentials: { trial: TRIAL_SECRET },
      fallback: () => replies.message({ usage }),
    });
    try {
      const project = useProject(gatewayConfig({ kind: 'sqlite', file: 'ledger.sqlite' }));
      const created = await runInProcess(
        ['keys', 'create', 'overnight-agent', '--route', 'trial', '--budget', '5.00', '--period', 'day'],
        { cwd: project.dir, env },
      );
      expect(created.code, created.stderr).toBe(0);
      expect(unwrapped(created.stderr)).toContain('budget $5.00/day');
      const month = await runInProcess(
        ['keys', 'create', 'ci-bot', '--route', 'trial', '--budget', '20', '--period', 'month', '--json'],
        { cwd: project.dir, env },
      );
      expect(JSON.parse(month.stdout)).toMatchObject({ name: 'ci-bot', budgetUsd: '20', period: 'month' });

      const gateway = await startGatewayProcess(project.dir, upstream.url);
      expect((await post(gateway.url, created.stdout.trim())).status).toBe(200);
      await gateway.stop();

      const price = defaultRateCard.price('claude-sonnet-4-5', usage);
      const list = await runInProcess(['keys', 'list'], { cwd: project.dir, env });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/^overnight-agent\s+[a-z0-9]{12}\s+trial\s+\$5\.00\/day\s+\$0\.0\d+\s/m);
      expect(list.stdout).toMatch(/^ci-bot\s+[a-z0-9]{12}\s+trial\s+\$20\.00\/month\s+\$0\.00\s/m);
      expect(Math.max(...list.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);

      const json = JSON.parse((await runInProcess(['keys', 'list', '--json'], { cwd: project.dir, env })).stdout) as {
        keys: Array<Record<string, string>>;
      };
      const now = new Date();
      const nextDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
      const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
      expect(json.keys).toEqual([
        expect.objectContaining({
          name: 'overnight-agent',
          budgetUsd: '5',
          period: 'day',
          spentUsd: price.totalUsd,
          periodSpentUsd: price.totalUsd,
          resetsAt: nextDay,
        }),
        expect.objectContaining({
          name: 'ci-bot',
          budgetUsd: '20',
          period: 'month',
          spentUsd: '0',
          periodSpentUsd: '0',
          resetsAt: nextMonth,
        }),
      ]);

      const bad = await runInProcess(
        ['keys', 'create', 'weekly', '--route', 'trial', '--budget', '5', '--period', 'weekly', '--json'],
        { cwd: project.dir, env },
      );
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe('');
      expect(jsonError(bad.stderr)).toMatchObject({
        code: 'DRAWDOWN_GATEWAY_INVALID_KEY_REQUEST',
        message: expect.stringContaining('period "weekly" is not one of "lifetime", "day", "week", "month"'),
      });
    } finally {
      await upstream.close();
    }
  });
});

describe('drawdown gateway', () => {
  it('serves tools with a key from "drawdown keys create", charges the rate-card price, refuses a revoked key and a bad --port', async () => {
    const usage = { input_tokens: 900, output_tokens: 120 };
    const upstream = await startAnthropicServer({
      credentials: { trial: TRIAL_SECRET },
      fallback: () => replies.message({ usage }),
    });
    try {
      const project = useProject(gatewayConfig({ kind: 'sqlite', file: 'ledger.sqlite' }));
      const key = (
        await runInProcess(['keys', 'create', 'script', '--route', 'trial'], { cwd: project.dir, env })
      ).stdout.trim();
      const gateway = await startGatewayProcess(project.dir, upstream.url);
      const ok = await post(gateway.url, key);
      expect(ok.status).toBe(200);
      await runInProcess(['keys', 'revoke', 'script'], { cwd: project.dir, env });
      await new Promise((r) => setTimeout(r, 1_200));
      const refused = await post(gateway.url, key);
      expect(refused.status).toBe(401);
      await gateway.stop();
      const report = JSON.parse((await runInProcess(['keys', 'list', '--json'], { cwd: project.dir, env })).stdout) as {
        keys: Array<{ spentUsd: string }>;
      };
      const price = defaultRateCard.price('claude-sonnet-4-5', usage);
      expect(report.keys[0]!.spentUsd).toBe(price.totalUsd);
      expect(upstream.requests.map((r) => r.credential)).toEqual(['trial']);
      expect(gateway.stderr()).not.toContain(key);
      expect(gateway.stderr()).not.toContain(TRIAL_SECRET);
      const badPort = await runInProcess(['gateway', '--port', 'http', '--json'], { cwd: project.dir, env });
      expect(badPort.code).toBe(1);
      expect(jsonError(badPort.stderr)).toMatchObject({
        code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
        message: expect.stringContaining('--port http'),
      });
      const remote = await runDrawdown(['gateway', '--host', '0.0.0.0', '--port', '0'], { cwd: project.dir, env });
      expect(remote.code).toBe(1);
      expect(unwrapped(remote.stderr)).toMatch(/Set\s+allowRemote:\s+true\s+and\s+a\s+token/);
    } finally {
      await upstream.close();
    }
  });
});

describe('drawdown gateway --reconcile-every', () => {
  it('runs its first reconcile at start, shows the drift on /metrics, and names a bad value or a missing section', async () => {
    const ADMIN_KEY = 'sk-ant-admin01-cli-test-SECRET-000000';
    const upstream = await startAnthropicServer({
      credentials: { trial: TRIAL_SECRET },
      admin: { keys: { ops: ADMIN_KEY } },
    });
    try {
      /** The JSON error `drawdown gateway --reconcile-every <minutes>` exits with in `dir`. */
      const refused = async (dir: string, minutes: string) => {
        const run = await runInProcess(['gateway', '--port', '0', '--reconcile-every', minutes, '--json'], {
          cwd: dir,
          env,
        });
        expect(run.code).toBe(1);
        return jsonError(run.stderr);
      };
      const plain = useProject(gatewayConfig({ kind: 'sqlite', file: 'ledger.sqlite' }));
      expect(await refused(plain.dir, '5')).toMatchObject({
        code: 'DRAWDOWN_CLI_INVALID_CONFIG',
        message: '--reconcile-every needs a "reconcile" section in the configuration',
      });
      const project = useProject({
        ...gatewayConfig({ kind: 'sqlite', file: 'ledger.sqlite' }),
        reconcile: { keys: { trial: 'apikey_trial' }, baseUrl: upstream.url, everyMinutes: 60 },
      });
      expect(await refused(project.dir, '0')).toMatchObject({
        code: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
        message: '--reconcile-every 0 is not a whole number of minutes (1 or more)',
      });
      const gateway = await startGatewayProcess(project.dir, upstream.url, {
        args: ['--reconcile-every', '1'],
        env: { ANTHROPIC_ADMIN_KEY: ADMIN_KEY },
      });
      // The first run comes at start: its drift (none on an empty ledger) and time are on /metrics.
      let metrics = '';
      for (let i = 0; i < 100 && !metrics.includes('drawdown_reconcile_drift_nanodollars{'); i++) {
        metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(metrics).toMatch(/^drawdown_reconcile_drift_nanodollars\{pool="trial"\} 0$/m);
      expect(upstream.admin!.calls).toBeGreaterThanOrEqual(1);
      const ranAt = Number(/^drawdown_reconcile_last_run_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
      expect(Math.abs(ranAt - Date.now() / 1000)).toBeLessThan(60);
      await gateway.stop();
      expect(gateway.stderr()).toContain("reconcile: every 1 min against Anthropic's usage report");
      expect(gateway.stderr()).not.toContain(ADMIN_KEY);
      for (const line of gateway
        .stderr()
        .split('\n')
        .filter((l) => l.includes('reconcile')))
        expect(line.length).toBeLessThanOrEqual(80);
    } finally {
      await upstream.close();
    }
  }, 120_000);
});

describe('budget levels from the configuration', () => {
  it('holds a key under its team\'s budget from "budgets", shows its levels in keys list, and names a wrong field', async () => {
    const usage = { input_tokens: 10, output_tokens: 1_000 };
    const upstream = await startAnthropicServer({
      credentials: { trial: TRIAL_SECRET },
      fallback: () => replies.message({ usage }),
    });
    try {
      const config: DrawdownConfig = {
        ...gatewayConfig({ kind: 'sqlite', file: 'ledger.sqlite' }),
        budgets: {
          organisations: { acme: { budget: '100.00', period: 'month' } },
          teams: { research: { organisation: 'acme', budget: '0.02' } },
        },
      };
      const project = useProject(config);
      const created = await runInProcess(
        [
          'keys',
          'create',
          'ada',
          '--route',
          'trial',
          '--user',
          'ada',
          '--team',
          'research',
          '--soft-limit',
          '1',
          '--json',
        ],
        { cwd: project.dir, env },
      );
      expect(created.code, created.stderr).toBe(0);
      const { key, ...record } = JSON.parse(created.stdout) as { key: string };
      expect(record).toMatchObject({ user: 'ada', team: 'research', softLimitUsd: '1' });
      const gateway = await startGatewayProcess(project.dir, upstream.url);
      expect((await post(gateway.url, key)).status).toBe(200);
      // $0.015 spent of the team's $0.02: the next hold of $0.015 does not fit.
      const refused = await post(gateway.url, key);
      expect(refused.status).toBe(402);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
        /^drawdown: team "research" budget of \$0\.02: \$0\.00\d+ left, this request holds up to \$0\.02; a lower max_tokens needs less$/,
      );
      await gateway.stop();

      const wrong = useProject({ ...config, budgets: { teams: { research: { organisation: 'acne' } } } });
      const check = await runInProcess(['config', 'check', '--json'], { cwd: wrong.dir, env });
      expect(check.code).toBe(1);
      expect(check.stdout + check.stderr).toContain('budgets.teams.research.organisation');
    } finally {
      await upstream.close();
    }
  });
});

const pgReachable = await postgresAvailable('team mode with two gateway processes');
const pgUrl = postgresUrl;

describe.skipIf(!pgReachable)('team mode: two gateway processes on one PostgreSQL ledger', () => {
  it('admit no more than the shared budget between them', async () => {
    // Each answer costs exactly $0.01 on Haiku 4.5 ($1/MTok input): 10,000 input tokens, no output.
    const usage = { input_tokens: 10_000, output_tokens: 0 };
    const upstream = await startAnthropicServer({
      credentials: { trial: TRIAL_SECRET },
      fallback: () => replies.message({ usage }),
    });
    try {
      const schema = `gateway_${process.pid}_${Date.now()}`;
      const project = useProject(gatewayConfig({ kind: 'postgres', connectionString: pgUrl, schema }, '0.10'));
      const key = (
        await runInProcess(['keys', 'create', 'team', '--route', 'trial'], { cwd: project.dir, env })
      ).stdout.trim();
      const [a, b] = await Promise.all([
        startGatewayProcess(project.dir, upstream.url),
        startGatewayProcess(project.dir, upstream.url),
      ]);
      // Small holds (max_tokens 1) so the budget, not the hold size, is what runs out.
      const body = {
        ...ask,
        model: 'claude-haiku-4-5',
        max_tokens: 1,
        messages: [{ role: 'user', content: 'x'.repeat(40_000) }],
      };
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) => post(i % 2 === 0 ? a!.url : b!.url, key, body)),
      );
      const statuses = responses.map((r) => r.status);
      const refusals = await Promise.all(
        responses
          .filter((r) => r.status !== 200)
          .map((r) => r.json() as Promise<{ error: { type: string; message: string } }>),
      );
      await Promise.all([a!.stop(), b!.stop()]);
      const admitted = statuses.filter((s) => s === 200).length;
      expect(admitted).toBeGreaterThan(0);
      expect(admitted).toBeLessThanOrEqual(10);
      expect(statuses.every((s) => s === 200 || s === 402)).toBe(true);
      expect(refusals.every((r) => r.error.type === 'billing_error' && r.error.message.includes('trial'))).toBe(true);
      expect(upstream.requests.length).toBe(admitted);
      const spent = await project.withHub(
        async (hub) => (await hub.store.snapshot({ account: 'trial', now: Date.now() })).settled.lifetime,
        env,
      );
      expect(spent).toBe(admitted * usd('0.01'));
      expect(spent).toBeLessThanOrEqual(usd('0.10'));
    } finally {
      await upstream.close();
    }
  });
});
