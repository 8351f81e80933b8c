import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replies, startAnthropicServer, type AnthropicServer } from '@drawdown/testkit';
import { freshHome, runClaude } from './claude-code.js';
import { runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

const KEY = 'sk-ant-zero-config-test-key';
/** A subscription token (as `claude setup-token` makes): with it, Claude Code words plan limits for the user. */
const LOGIN_TOKEN = 'sk-ant-oat01-zero-config-test';
let server: AnthropicServer;
// Each prompt carries a marker; the server answers by marker, so Claude Code's own side requests cannot shift the script.
const script: Record<string, Parameters<typeof replies.message>[0]> = {
  'three-blocks': {
    texts: ['First block.', 'Second block.', 'Third block.'],
    model: 'claude-sonnet-4-6',
    usage: { input_tokens: 1000, output_tokens: 300, cache_read_input_tokens: 2000, cache_creation_input_tokens: 500 },
  },
  'small-haiku': { model: 'claude-haiku-4-5', usage: { input_tokens: 100, output_tokens: 20 } },
  'mystery-model': { model: 'claude-mystery-9', usage: { input_tokens: 50, output_tokens: 5 } },
};

beforeAll(async () => {
  server = await startAnthropicServer({
    credentials: { user: KEY, login: LOGIN_TOKEN },
    fallback: (request) => {
      const text = JSON.stringify(request.body?.messages ?? '');
      if (text.includes('plan-limit'))
        return replies.planLimit({ resetAt: Math.floor(Date.now() / 1000) + 3600, claim: 'five_hour' });
      const marker = Object.keys(script).find((m) => text.includes(m));
      return replies.message(
        marker !== undefined
          ? script[marker]
          : { model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 1 } },
      );
    },
  });
});
afterAll(() => server.close());

/** What the rate card says (RATES.md): Sonnet 4.6 $3 in, $15 out, $0.30 cache hit, $3.75 5-minute write; Haiku 4.5 $1 in, $5 out. */
const sonnetCost = (1000 * 3 + 300 * 15 + 2000 * 0.3 + 500 * 3.75) / 1e6; // 0.009975
const haikuCost = (100 * 1 + 20 * 5) / 1e6; // 0.0002

describe('drawdown without a configuration, after the real Claude Code ran here', () => {
  const { home, work } = freshHome();
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    ANTHROPIC_API_KEY: 'sk-ant-never-printed-1234',
    COLUMNS: '80',
    DRAWDOWN_TIME_ZONE: 'UTC',
  };

  beforeAll(async () => {
    for (const marker of Object.keys(script)) {
      const result = await runClaude(`say ${marker}`, { home, cwd: work, baseUrl: server.url, apiKey: KEY });
      expect(result.code, result.stderr).toBe(0);
    }
  }, 180_000);

  it('Claude Code logs a streamed reply once per content block, with the same message id and usage', () => {
    const dir = path.join(home, '.claude', 'projects');
    const lines = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
      .flatMap((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8').split('\n'))
      .filter((l) => l.includes('"assistant"') && l.includes('claude-sonnet-4-6'))
      .map((l) => JSON.parse(l) as { message: { id: string; usage: unknown }; requestId: string });
    expect(lines.length).toBe(3);
    expect(new Set(lines.map((l) => `${l.message.id}:${l.requestId}`)).size).toBe(1);
  });

  it('status exits 0 and prices each response once, by day and model, with an unknown model unpriced', async () => {
    const result = await runDrawdown(['status', '--json'], { cwd: work, env });
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    const view = JSON.parse(result.stdout) as {
      mode: string;
      claudeCode: {
        totalUsd: string;
        requests: number;
        duplicates: number;
        complete: boolean;
        unpriced: unknown[];
        rows: Array<{ model: string; requests: number; costUsd: string | null; outputTokens: number }>;
      };
      credentials: { apiKeyTools?: { source: string } };
    };
    expect(view.mode).toBe('zero-config');
    const sonnet = view.claudeCode.rows.find((r) => r.model === 'claude-sonnet-4-6')!;
    expect(sonnet).toMatchObject({ requests: 1, outputTokens: 300, costUsd: String(sonnetCost) });
    expect(view.claudeCode.rows.find((r) => r.model === 'claude-mystery-9')).toMatchObject({
      requests: 1,
      costUsd: null,
    });
    expect(view.claudeCode.unpriced).toEqual([
      { model: 'claude-mystery-9', requests: 1, reason: expect.stringContaining('claude-mystery-9') },
    ]);
    expect(view.claudeCode.complete).toBe(false);
    // Three block lines of one streamed reply count once.
    expect(view.claudeCode.duplicates).toBeGreaterThanOrEqual(2);
    // One API call per prompt (the server saw exactly these three), each priced once.
    expect(
      server.requests.filter((r) => r.path.startsWith('/v1/messages') && !r.path.includes('count_tokens')),
    ).toHaveLength(3);
    expect(view.claudeCode.requests).toBe(3);
    expect(view.claudeCode.totalUsd).toBe(String(Number((sonnetCost + haikuCost).toFixed(9))));
    expect(view.claudeCode.totalUsd).toBe('0.010175');
    expect(view.credentials.apiKeyTools?.source).toBe('ANTHROPIC_API_KEY');
    expect(result.stdout).not.toContain('sk-ant-never-printed');
  });

  it('status shows the view in 80 columns: spend, plan windows, which pool pays, what to do next', async () => {
    const result = await runInProcess(['status'], { cwd: work, env });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^2026-\d\d-\d\d\s+claude-sonnet-4-6\s+1\s+1,000\s+300\s+2,500\s+\$0\.01$/m);
    expect(result.stdout).toMatch(/claude-mystery-9\s+1\s+50\s+5\s+0\s+unpriced$/m);
    expect(result.stdout).toContain('claude-mystery-9: 1 call unpriced, not counted as $0');
    expect(result.stdout).toContain('Plan windows');
    expect(result.stdout).toMatch(/A tool that reads ANTHROPIC_API_KEY .* draws API usage\s+credits/);
    expect(result.stdout).toContain('drawdown config init --global');
    expect(result.stdout).not.toContain('sk-ant-never-printed');
    for (const line of result.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
  });

  it('report shows Claude Code by day and model, and which shows the pools, without a configuration', async () => {
    const report = await runInProcess(['report', '--json', '--days', '2'], { cwd: work, env });
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({
      mode: 'zero-config',
      source: 'claude-code-logs',
      complete: false,
    });
    const text = await runInProcess(['report', '--exact'], {
      cwd: work,
      env: { ...env, DRAWDOWN_TIME_ZONE: 'America/Argentina/Buenos_Aires' },
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('$0.009975');
    for (const line of text.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    const which = await runInProcess(['which'], { cwd: work, env: { ...env, ANTHROPIC_API_KEY: undefined } });
    expect(which.code).toBe(0);
    expect(which.stdout).toContain('ANTHROPIC_API_KEY is not set here');
    const byPool = await runInProcess(['report', '--by', 'pool', '--json'], { cwd: work, env });
    expect(byPool.code).toBe(1);
    expect(JSON.parse(byPool.stderr)).toMatchObject({
      code: 'DRAWDOWN_CLI_UNAVAILABLE',
      hint: expect.stringContaining('config init'),
    });
  });

  it("reads the logs where CLAUDE_CONFIG_DIR points, with Claude Code's last plan-limit message, and nothing when it points at an empty place", async () => {
    const other = freshHome();
    const configDir = path.join(other.home, 'claude-data');
    const run = await runClaude('say small-haiku', {
      home: other.home,
      cwd: other.work,
      baseUrl: server.url,
      apiKey: KEY,
      env: { CLAUDE_CONFIG_DIR: configDir },
    });
    expect(run.code, run.stderr).toBe(0);
    const found = await runInProcess(['status', '--json'], {
      cwd: other.work,
      env: { HOME: other.home, CLAUDE_CONFIG_DIR: configDir },
    });
    const view = JSON.parse(found.stdout) as {
      claudeCode: { dirs: string[]; rows: Array<{ model: string; costUsd: string }> };
    };
    expect(view.claudeCode.dirs).toEqual([configDir]);
    expect(
      view.claudeCode.rows.find((r) => r.model === 'claude-haiku-4-5' && r.costUsd === String(haikuCost)),
    ).toBeDefined();
    // Signed in with a subscription token, Claude Code hits the plan's 5-hour window and logs its own message.
    const limited = await runClaude('say plan-limit', {
      home: other.home,
      cwd: other.work,
      baseUrl: server.url,
      apiKey: '',
      env: { CLAUDE_CONFIG_DIR: configDir, CLAUDE_CODE_OAUTH_TOKEN: LOGIN_TOKEN },
    });
    expect(limited.stdout).toContain('limit');
    const withLimit = await runInProcess(['status', '--json'], {
      cwd: other.work,
      env: { HOME: other.home, CLAUDE_CONFIG_DIR: configDir },
    });
    const plan = (
      JSON.parse(withLimit.stdout) as { planWindows: { recorded: boolean; lastLimitMessage?: { text: string } } }
    ).planWindows;
    expect(plan.recorded).toBe(true);
    expect(plan.lastLimitMessage?.text).toMatch(/^You've hit your 5-hour limit · resets /);
    const text = await runInProcess(['status'], {
      cwd: other.work,
      env: { HOME: other.home, CLAUDE_CONFIG_DIR: configDir, COLUMNS: '80' },
    });
    expect(text.stdout).toMatch(/Last limit message \(.*UTC\): You've hit your 5-hour limit · resets/);
    const empty = await runInProcess(['status'], {
      cwd: other.work,
      env: { HOME: other.home, CLAUDE_CONFIG_DIR: path.join(other.home, 'nothing'), COLUMNS: '80' },
    });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No Claude Code session logs found');
  });
});

describe("Claude Code's spend with a configuration", () => {
  it('stays visible in status and report, observed beside the pools, less what drawdown metered itself', async () => {
    const { home, work } = freshHome();
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), COLUMNS: '80', DRAWDOWN_TIME_ZONE: 'UTC' };
    for (const marker of ['three-blocks', 'small-haiku']) {
      const run = await runClaude(`say ${marker}`, { home, cwd: work, baseUrl: server.url, apiKey: KEY });
      expect(run.code, run.stderr).toBe(0);
    }
    const before = JSON.parse((await runInProcess(['report', '--json'], { cwd: work, env })).stdout) as {
      totalUsd: string;
      requests: number;
    };
    expect(before).toMatchObject({ totalUsd: String(sonnetCost + haikuCost), requests: 2 });

    // A configuration appears, and drawdown meters the Haiku request itself (the gateway or `run` would).
    writeFileSync(
      path.join(work, 'drawdown.config.json'),
      JSON.stringify({
        timeZone: 'UTC',
        store: { kind: 'sqlite', file: 'ledger.sqlite' },
        strategies: { key: { kind: 'apiKey' } },
        pools: { team: { kind: 'budget', amount: '10' } },
        route: [{ id: 'team', strategy: 'key', pool: 'team' }],
      }),
    );
    const haikuRequest = readdirSync(path.join(home, '.claude', 'projects'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
      .flatMap((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8').split('\n'))
      .filter((l) => l.includes('"assistant"') && l.includes('claude-haiku-4-5'))
      .map((l) => (JSON.parse(l) as { requestId: string }).requestId)[0]!;
    const { createHub, apiKey, budget, usd } = await import('@drawdown/core');
    const { sqliteStore } = await import('@drawdown/store-sqlite');
    const hub = await createHub({
      store: sqliteStore({ file: path.join(work, 'ledger.sqlite') }),
      plugins: [apiKey({ id: 'key', key: 'sk-ant-unused' }), budget({ id: 'team', amount: '10' })],
      route: { entries: [{ id: 'team', strategy: 'key', pool: 'team' }] },
    });
    await hub.charge({
      requestId: haikuRequest,
      entry: 'team',
      model: 'claude-haiku-4-5',
      cost: usd(String(haikuCost)),
    });
    await hub.close();
    await hub.store.close();

    const report = await runInProcess(['report', '--json'], { cwd: work, env });
    expect(unwrapped(report.stderr)).toBe('');
    const json = JSON.parse(report.stdout) as { totalUsd: string; observed: Record<string, unknown> };
    expect(json.totalUsd).toBe(String(haikuCost));
    expect(json.observed).toMatchObject({
      source: 'claude-code-logs',
      observed: true,
      enforced: false,
      totalUsd: String(sonnetCost),
      requests: 1,
      metered: { requests: 1, costUsd: String(haikuCost) },
      skipped: { garbage: 0, truncated: 0, absurd: 0, malformed: 0 },
    });
    const text = await runInProcess(['report'], { cwd: work, env });
    expect(text.stdout).toContain('observed from its logs, not enforced');
    expect(text.stdout).toMatch(/claude-sonnet-4-6\s+1\s+1,000\s+300\s+2,500\s+\$0\.01$/m);
    expect(text.stdout).toContain('1 call ($0.0002) metered by drawdown left out here');
    for (const line of text.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    const status = await runInProcess(['status', '--json'], { cwd: work, env });
    expect(JSON.parse(status.stdout)).toMatchObject({ observed: { totalUsd: String(sonnetCost), requests: 1 } });
    const statusText = await runInProcess(['status'], { cwd: work, env });
    expect(statusText.stdout).toContain('observed from its logs, not enforced');
    for (const line of statusText.stdout.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
  }, 180_000);
});

describe('drawdown report without a configuration, on a ledger named by DRAWDOWN_DB', () => {
  it('shows the charges in the ledger', async () => {
    const { home } = freshHome();
    const file = path.join(home, 'ledger.sqlite');
    const { apiKey, createHub, budget, usd } = await import('@drawdown/core');
    const { sqliteStore } = await import('@drawdown/store-sqlite');
    const hub = await createHub({
      store: sqliteStore({ file }),
      plugins: [apiKey({ id: 'key', key: 'sk-ant-unused' }), budget({ id: 'team', amount: '50' })],
      route: { entries: [{ id: 'team', strategy: 'key', pool: 'team' }] },
    });
    await hub.charge({ requestId: 'msg_1', entry: 'team', model: 'claude-sonnet-4-6', cost: usd('1.25') });
    await hub.close();
    await hub.store.close();
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), DRAWDOWN_DB: file };
    const result = await runInProcess(['report', '--by', 'pool', '--json'], { cwd: home, env });
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ totalUsd: '1.25', rows: [{ pool: 'team', costUsd: '1.25' }] });
    const text = await runInProcess(['report', '--by', 'pool'], { cwd: home, env: { ...env, COLUMNS: '80' } });
    expect(text.stdout).toMatch(/^team\s+│█+\s+\$1\.25\s+1 req$/m);
  });
});
