import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replies, startAnthropicServer, type AnthropicServer } from '@drawdown/testkit';
import type { DrawdownConfig } from '../src/config/types.js';
import { trialConfig, useProject, type Project } from './project.js';
import { runDrawdown, unwrapped } from './run-cli.js';
import { runInProcess } from './run-in-process.js';

const KEY = 'sk-ant-bundled-000000000001';
const ADMIN = 'sk-ant-admin01-cli-0000002';
const MINUTE = 60_000;
const model = 'claude-sonnet-4-6';
const usage = { input_tokens: 1000, output_tokens: 200, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };

// A server per test: each test's billing history is its own.
let server: AnthropicServer;
beforeEach(async () => {
  server = await startAnthropicServer({ credentials: { bundled: KEY }, admin: { keys: { ops: ADMIN } } });
});
afterEach(async () => server.close());

function configFor(extra: Partial<NonNullable<DrawdownConfig['reconcile']>> = {}): DrawdownConfig {
  return {
    ...trialConfig,
    reconcile: { keys: { trial: 'apikey_bundled' }, baseUrl: server.url, reportingLagMinutes: 0, ...extra },
  };
}

/**
 * Ten minutes ago the API billed `billed` requests on the bundled key and the ledger recorded
 * `recorded` of them (each 1,000 input and 200 output tokens of Sonnet 4.6).
 */
async function history(project: Project, billed: number, recorded: number): Promise<void> {
  const at = Date.now() - 10 * MINUTE;
  const before = server.billing.length;
  for (let i = 0; i < billed; i++) {
    server.enqueue(replies.message({ usage }));
    await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
  }
  // The report places requests by when they were billed: move them into the past.
  for (const bill of server.billing.slice(before)) bill.at = at;
  await project.withHub(async (hub) => {
    for (let i = 0; i < recorded; i++) {
      const priced = hub.rateCard.price(model, usage, { at });
      await hub.store.settle({
        account: 'trial',
        key: `${project.dir}-${i}`,
        cost: priced.total,
        now: at,
        scopes: [],
        day: new Date(at).toISOString().slice(0, 10),
        meta: { model, inputTokens: 1000, outputTokens: 200 },
      });
    }
  });
}

const env = { ANTHROPIC_ADMIN_KEY: ADMIN, COLUMNS: '80' };

describe('drawdown reconcile', () => {
  // Red on main after the budget-level and billing-log changes met reconcile; see the closing note.
  it('names a request the ledger missed, in tokens and dollars, and exits 1', async () => {
    const project = useProject(configFor({ tolerance: '0.001' }));
    await history(project, 2, 1);
    const result = await runDrawdown(['reconcile', '--from', '30m', '--bucket', '1m'], { cwd: project.dir, env });
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(result.stdout).toMatch(/^Ledger vs Anthropic's usage report, [-\d]+ [:\d]+–[:\d]+ UTC, 1m buckets\n/);
    expect(lines.find((l) => /\btrial\s+claude-sonnet-4-6\s+drift\s+\$0\.006$/.test(l))).toBeDefined();
    expect(result.stdout).toContain('  ↳ token counts differ');
    expect(result.stdout).toContain('    uncached input: ledger 1,000, Anthropic 2,000 (+1,000, +$0.003)');
    expect(result.stdout).toContain('    output: ledger 200, Anthropic 400 (+200, +$0.003)');
    expect(result.stdout).toContain('Drift beyond the $0.001 tolerance: 0 match, 1 drift ($0.006).');
    expect(result.stdout).toContain("Ledger charged $0.006; Anthropic's counts at the rate card: $0.01.");
    expect(result.stdout).not.toContain(ADMIN);
  });

  it('reports a clean ledger as matching, with --json', async () => {
    const project = useProject(configFor({ tolerance: '0' }));
    await history(project, 1, 1);
    const result = await runInProcess(['reconcile', '--from', '30m', '--bucket', '1m', '--json'], {
      cwd: project.dir,
      env,
    });
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      exceedsTolerance: boolean;
      toleranceUsd: string;
      totals: unknown;
      groups: unknown[];
    };
    expect(json.exceedsTolerance).toBe(false);
    expect(json.toleranceUsd).toBe('0');
    expect(json.totals).toMatchObject({ match: 1, drift: 0, chargedUsd: '0.006', reportedPriceUsd: '0.006' });
    expect(json.groups[0]).toMatchObject({ apiKeyId: 'apikey_bundled', pools: ['trial'], status: 'match' });
  });

  it('needs the Admin key variable, and never prints the key', async () => {
    const project = useProject(configFor({ adminKeyEnv: 'ORG_ADMIN_KEY' }));
    const missing = await runInProcess(['reconcile'], { cwd: project.dir, env });
    expect(missing.code).toBe(1);
    expect(unwrapped(missing.stderr)).toContain(
      "drawdown: ORG_ADMIN_KEY is not set: reading Anthropic's usage report needs an Admin key",
    );
    expect(unwrapped(missing.stderr)).toContain('hint: Export ORG_ADMIN_KEY=sk-ant-admin…');
    const json = await runInProcess(['reconcile', '--json'], { cwd: project.dir, env });
    expect(JSON.parse(json.stderr)).toMatchObject({ code: 'DRAWDOWN_CLI_UNAVAILABLE' });
  });

  it('says what to add when the configuration has no reconcile section', async () => {
    const project = useProject(trialConfig);
    const result = await runInProcess(['reconcile'], { cwd: project.dir, env });
    expect(result.code).toBe(1);
    expect(unwrapped(result.stderr)).toContain('no "reconcile" section in the configuration');
  });

  it('turns a rate limit into a message with the wait and a hint', async () => {
    const project = useProject(configFor());
    server.admin!.enqueue(replies.rateLimited({ retryAfterSeconds: 20 }));
    const result = await runInProcess(['reconcile', '--bucket', '1d', '--from', '2d'], { cwd: project.dir, env });
    expect(result.code).toBe(1);
    expect(unwrapped(result.stderr)).toContain(
      "drawdown: Anthropic's usage report is rate limited (429 on page 1); try again in 20 s",
    );
    expect(unwrapped(result.stderr)).toContain('hint: Wait as long as the message says');
  });

  it('reads the Analytics API with --source analytics, naming the same drift', async () => {
    const project = useProject(configFor({ tolerance: '0.001' }));
    await history(project, 2, 1);
    const result = await runDrawdown(['reconcile', '--from', '30m', '--bucket', '1m', '--source', 'analytics'], {
      cwd: project.dir,
      env,
    });
    expect(unwrapped(result.stderr)).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Ledger vs Anthropic's Analytics API, [-\d]+ [:\d]+–[:\d]+ UTC, 1m buckets\n/);
    expect(result.stdout).toContain('    uncached input: ledger 1,000, Anthropic 2,000 (+1,000, +$0.003)');
    expect(result.stdout).toContain('Drift beyond the $0.001 tolerance: 0 match, 1 drift ($0.006).');
    for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  }, 120_000);

  it('takes the source from reconcile.source, and refuses one it does not know', async () => {
    const project = useProject(configFor({ tolerance: '0', source: 'auto' }));
    await history(project, 1, 1);
    const result = await runDrawdown(['reconcile', '--from', '30m', '--bucket', '1m', '--json'], {
      cwd: project.dir,
      env,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ source: 'analytics', totals: { match: 1, drift: 0 } });
    const flag = await runDrawdown(['reconcile', '--source', 'legacy', '--json'], { cwd: project.dir, env });
    expect(flag.code).not.toBe(0);
    expect(flag.stderr + flag.stdout).toMatch(/--source .*legacy.* is not a report/);
    const bad = useProject(configFor({ source: 'legacy' as 'admin' }));
    const check = await runDrawdown(['config', 'check'], { cwd: bad.dir, env });
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain('reconcile.source');
  }, 180_000);

  it('refuses a bad bucket and a bad time, naming the flag', async () => {
    const project = useProject(configFor());
    const bucket = await runInProcess(['reconcile', '--bucket', '2h'], { cwd: project.dir, env });
    expect(unwrapped(bucket.stderr)).toContain('--bucket "2h" is not a bucket width');
    const time = await runInProcess(['reconcile', '--from', 'yesterday'], { cwd: project.dir, env });
    expect(unwrapped(time.stderr)).toContain('--from "yesterday" is not a time');
  });

  it('checks the reconcile section with the rest of the configuration', async () => {
    const project = useProject({
      ...trialConfig,
      reconcile: { keys: { trial: 'sk-ant-oops', nope: 'apikey_x' }, adminKey: 'sk-ant-admin01' } as never,
    });
    const result = await runInProcess(['config', 'check'], { cwd: project.dir, env });
    expect(result.code).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toContain('reconcile.adminKey');
    expect(out).toContain('reconcile.keys.trial');
    expect(out).toContain('reconcile.keys.nope');
  });
});
