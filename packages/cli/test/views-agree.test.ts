import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { defaultRateCard, usd } from '@drawdown/core';
import { keyManager, startGateway } from '@drawdown/gateway';
import { replies, startAnthropicServer } from '@drawdown/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentClaudeLogs } from '../../../test-support/claude-logs.js';
import { makeProject, trialConfig, type Project } from './project.js';
import { binPath, runDrawdown, tsxLoader, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

const SECRET = 'sk-ant-views-agree-SECRET-0123456789';

let project: Project;
let env: Record<string, string>;
// What the upstream billed per key, at rate-card prices.
const keySpend = { ci: 0, bot: 0 };
let gatewaySpend = 0;

beforeAll(async () => {
  project = makeProject(trialConfig);
  env = { APP_TRIAL_KEY: SECRET, CLAUDE_CONFIG_DIR: recentClaudeLogs(), COLUMNS: '80' };
  const upstream = await startAnthropicServer({ credentials: { trial: SECRET } });
  await project.withHub(async (hub) => {
    const gateway = await startGateway({
      hub,
      upstream: { url: upstream.url },
      budgets: { teams: { research: { budget: '3' } }, users: { ada: { budget: '2', team: 'research' } } },
    });
    const keys = keyManager(hub.store);
    const ci = await keys.create({ name: 'ci', routes: ['trial', 'daily'], user: 'ada' });
    const bot = await keys.create({ name: 'bot', routes: ['trial', 'daily'] });
    upstream.enqueue(
      replies.message({ usage: { input_tokens: 30_000, output_tokens: 2_000 } }),
      replies.message({ usage: { input_tokens: 12_000, output_tokens: 800 } }),
      replies.message({ usage: { input_tokens: 7_000, output_tokens: 5_000 } }),
    );
    const ask = { model: 'claude-sonnet-4-5', max_tokens: 8_000, messages: [{ role: 'user' as const, content: 'Hi' }] };
    for (const key of [ci.key, ci.key, bot.key]) {
      const answer = await fetch(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify(ask),
      });
      expect(answer.status).toBe(200);
    }
    await gateway.idle();
    await gateway.close();
    const priced = upstream.billing.map((b) => defaultRateCard.price(b.model, b.usage, { at: b.at }).total);
    keySpend.ci = priced[0]! + priced[1]!;
    keySpend.bot = priced[2]!;
    gatewaySpend = keySpend.ci + keySpend.bot;
    // The budget levels held and settled the key's requests too: the user's and the team's accounts.
    for (const account of ['limit:user:ada', 'limit:team:research'])
      expect((await hub.store.snapshot({ account, now: hub.clock.now() })).settled.lifetime).toBe(keySpend.ci);
    // Spend with no gateway key: the metered client, `drawdown run`.
    await hub.charge({ requestId: 'direct', entry: 'daily', model: 'claude-sonnet-4-5', cost: usd('0.125') });
  }, env);
  await upstream.close();
}, 120_000);
afterAll(() => project.remove());

const json = async (args: string[]) => {
  const result = await runInProcess(args, { cwd: project.dir, env });
  expect(result.stderr, args.join(' ')).toBe('');
  return JSON.parse(result.stdout);
};

function startDashboard(): Promise<{ url: string; child: ReturnType<typeof spawn> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'dashboard', '--json', '--port', '0'],
      { cwd: project.dir, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, child });
    });
    child.once('close', (code) => reject(new Error(`drawdown dashboard exited (${code}) before listening`)));
  });
}

const nanos = (decimal: string) => usd(decimal);
const sumUsd = (values: string[]) => values.reduce((sum, v) => sum + nanos(v), 0);

describe('every view of one ledger gives the same totals', () => {
  it('status, report, report --by key, the dashboard API and MCP usage_report / pool_status / local_usage agree', async () => {
    const [status, report, byKey] = await Promise.all([
      json(['status', '--json']),
      json(['report', '--json']),
      json(['report', '--by', 'key', '--json']),
    ]);
    // The pools' spend: three gateway requests and one without a key. Key and level accounts mirror
    // the gateway's three and are never added to it.
    const poolSpend = sumUsd(status.pools.map((p: { spentUsd: string }) => p.spentUsd));
    expect(poolSpend).toBe(gatewaySpend + usd('0.125'));
    expect(nanos(report.totalUsd)).toBe(poolSpend);
    expect(report.rows.reduce((n: number, r: { requests: number }) => n + r.requests, 0)).toBe(4);
    expect(nanos(byKey.totalUsd)).toBe(poolSpend);
    expect(byKey.rows.map((r: { key: string; costUsd: string }) => [r.key, nanos(r.costUsd)])).toEqual([
      ['ci', keySpend.ci],
      ['bot', keySpend.bot],
    ]);
    expect(nanos(byKey.withoutKeyUsd)).toBe(usd('0.125'));

    const dashboard = await startDashboard();
    try {
      const snapshot = (await (await fetch(`${dashboard.url}api/snapshot`)).json()) as {
        pools: Array<{ spentUsd: string }>;
        spend: { totalUsd: string };
        observed: { totalUsd: string };
      };
      expect(sumUsd(snapshot.pools.map((p) => p.spentUsd))).toBe(poolSpend);
      expect(nanos(snapshot.spend.totalUsd)).toBe(poolSpend);
      expect(snapshot.observed.totalUsd).toBe(status.observed.totalUsd);
    } finally {
      dashboard.child.kill('SIGTERM');
    }

    const mcp = new Client({ name: 'views-agree', version: '1.0.0' });
    await mcp.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: ['--conditions=drawdown-source', '--import', tsxLoader, binPath, 'mcp'],
        cwd: project.dir,
        env: { ...(process.env as Record<string, string>), ...env },
        stderr: 'pipe',
      }),
    );
    try {
      const tool = async <T>(name: string) => (await mcp.callTool({ name, arguments: {} })).structuredContent as T;
      const usageReport = await tool<{ totals: { costUsd: string; requests: number } }>('usage_report');
      expect(nanos(usageReport.totals.costUsd)).toBe(poolSpend);
      expect(usageReport.totals.requests).toBe(4);
      const poolStatus = await tool<{ pools: Array<{ spentUsd: string }> }>('pool_status');
      expect(sumUsd(poolStatus.pools.map((p) => p.spentUsd))).toBe(poolSpend);
      const local = await tool<{ totalUsd: string }>('local_usage');
      expect(local.totalUsd).toBe(status.observed.totalUsd);
    } finally {
      await mcp.close();
    }
    // Claude Code's own spend, observed from its logs, is the same in every view, and apart from the pools'.
    expect(nanos(status.observed.totalUsd)).toBeGreaterThan(0);
    expect(report.observed.totalUsd).toBe(status.observed.totalUsd);
  }, 240_000);
});

describe.concurrent('drawdown report --by key', () => {
  it("splits the pools' total per gateway key, with what no key carried, within 80 columns", async () => {
    const result = await runDrawdown(['report', '--by', 'key'], { cwd: project.dir, env });
    expect(unwrapped(result.stderr)).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Spend by gateway key, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \(UTC\)$/);
    // In cents, rounded so that the rows add up to the total ($0.168 + $0.096 + $0.125 = $0.389).
    expect(lines.find((l) => l.startsWith('ci '))).toMatch(/\$0\.17\s+43%$/);
    expect(lines.find((l) => l.startsWith('bot '))).toMatch(/\$0\.10\s+25%$/);
    expect(lines.find((l) => l.startsWith('(no gateway key)'))).toMatch(/\$0\.12\s+32%$/);
    expect(lines.find((l) => l.startsWith('Total'))).toMatch(/\$0\.39\s+100%$/);
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    const exact = (await runDrawdown(['report', '--by', 'key', '--exact'], { cwd: project.dir, env })).stdout.split(
      '\n',
    );
    expect(exact.find((l) => l.startsWith('ci '))).toMatch(/\$0\.168\s+43%$/);
    expect(exact.find((l) => l.startsWith('(no gateway key)'))).toMatch(/\$0\.125\s+32%$/);
    expect(exact.find((l) => l.startsWith('Total'))).toMatch(/\$0\.389\s+100%$/);
  });

  it('prints CSV with exact decimal costs', async () => {
    const result = await runInProcess(['report', '--by', 'key', '--csv'], { cwd: project.dir, env });
    expect(result.stdout).toMatch(
      /^key,id,revoked,cost_usd\r\nci,\w+,false,0\.168\r\nbot,\w+,false,0\.096\r\n\(no gateway key\),,false,0\.125\r\n$/,
    );
  });

  it.each([
    [['--by', 'key,day'], 'by', /mixes key with other dimensions/],
    [['--by', 'key', '--pool', 'trial'], 'pool', /--pool does not apply to --by key/],
  ])('refuses %j with a JSON error naming the argument', async (args, argument, message) => {
    const result = await runInProcess(['report', ...args, '--json'], { cwd: project.dir, env });
    expect(result.code).toBe(1);
    const error = JSON.parse(result.stderr.trim().split('\n').at(-1)!);
    expect(error).toMatchObject({ code: 'DRAWDOWN_CLI_INVALID_ARGUMENT', message: expect.stringMatching(message) });
    expect(JSON.stringify(error)).toContain(argument);
  });
});
