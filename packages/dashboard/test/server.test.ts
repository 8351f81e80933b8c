import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDrawdownError, toDecimalString, usd, type Hub } from '@drawdown/core';
import { readClaudeCodeUsage } from '@drawdown/core/claude-logs';
import {
  DashboardErrorCodes,
  readDashboard,
  startDashboard,
  type Dashboard,
  type DashboardSnapshot,
} from '../src/index.js';
import { demoHub, SECRET_KEY, seedDemo } from './fixtures/demo-hub.js';
import { ledgerSpend, parseMetrics } from '../../../test-support/ledger-metrics.js';
import { recentClaudeLogs, tempLedger } from './helpers.js';

/** A raw request, so tests can send the Host and Origin headers a browser or an attacker would. */
function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const post = (url: string, value: unknown, headers: Record<string, string> = {}) =>
  get(url, { 'content-type': 'application/json', ...headers }, 'POST', JSON.stringify(value));

describe('drawdown dashboard server', () => {
  let hub: Hub;
  let readOnly: Dashboard;
  let writable: Dashboard;
  beforeAll(async () => {
    hub = await demoHub(tempLedger());
    await seedDemo(hub);
    readOnly = await startDashboard({ hub });
    writable = await startDashboard({ hub, writes: true });
  });
  afterAll(async () => {
    await readOnly?.close();
    await writable?.close();
    await hub?.close();
    await hub?.store.close();
  });

  it('serves /metrics in the Prometheus text format, spend and holds per pool equal to the ledger', async () => {
    const response = await get(`${readOnly.url}metrics`);
    expect(response.status).toBe(200);
    const { value } = parseMetrics(response.body);
    for (const pool of ['trial', 'credits']) {
      expect(value('drawdown_spend_nanodollars_total', { pool })).toBe(await ledgerSpend(hub.store, pool));
    }
    expect(value('drawdown_spend_nanodollars_total', { pool: 'trial' })).toBeGreaterThan(0);
    // Behind the guard: a foreign Host is refused.
    expect((await get(`${readOnly.url}metrics`, { host: 'evil.example' })).status).toBe(403);
  });

  it('binds 127.0.0.1 and serves the page, its assets from node_modules and a snapshot', async () => {
    expect(readOnly.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(readOnly.url);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('/assets/uPlot.iife.min.js');
    const uplot = await get(`${readOnly.url}assets/uPlot.iife.min.js`);
    expect(uplot.status).toBe(200);
    expect(uplot.body).toContain('uPlot');
    const snapshot = JSON.parse((await get(`${readOnly.url}api/snapshot`)).body);
    expect(snapshot.pools.map((p: { id: string }) => p.id)).toEqual(['trial', 'plan', 'credits']);
    expect(snapshot.route.next.entryId).toBe('trial');
    expect(snapshot.recent).toHaveLength(8);
    expect(snapshot.spend.days).toHaveLength(14);
    expect(snapshot.writes).toBe(false);
    expect(snapshot.pools[2]).toMatchObject({
      id: 'credits',
      fundable: true,
      autoReload: { thresholdUsd: '5', amountUsd: '20', state: 'armed' },
    });
    expect(snapshot.pools[1]).toMatchObject({ id: 'plan', utilization: 0.71 });
    expect(JSON.stringify(snapshot)).not.toContain(SECRET_KEY);
  });

  it('keeps money exact: spend series add up to the ledger to the last nanodollar', async () => {
    const snapshot = await readDashboard(hub);
    const nanos = (usd: string): bigint => {
      const [whole, frac = ''] = usd.split('.');
      return BigInt(whole!) * 1_000_000_000n + BigInt(`${frac}000000000`.slice(0, 9));
    };
    const sum = (groups: Array<{ usd: string[] }>): bigint =>
      groups.flatMap((g) => g.usd).reduce((a, v) => a + nanos(v), 0n);
    expect(sum(snapshot.spend.byModel)).toBe(nanos(snapshot.spend.totalUsd));
    expect(sum(snapshot.spend.byRoute)).toBe(nanos(snapshot.spend.totalUsd));
    const trial = snapshot.pools.find((p) => p.id === 'trial')!;
    expect(nanos(trial.spentUsd) + nanos(trial.remainingUsd!)).toBe(nanos(trial.limitUsd!));
  });

  it("refuses a Host that does not name it (DNS rebinding) and a foreign browser Origin, in drawdown's error shape", async () => {
    const rebinding = await get(readOnly.url, { host: 'evil.example' });
    expect(rebinding.status).toBe(403);
    expect(rebinding.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(rebinding.body) as Record<string, unknown>;
    expect(body).toEqual({
      code: 'DRAWDOWN_HOST_NOT_ALLOWED',
      message: expect.stringContaining('evil.example'),
      hint: expect.stringContaining('127.0.0.1'),
    });
    expect(body).not.toHaveProperty('jsonrpc');
    const origin = await get(`${readOnly.url}api/snapshot`, { origin: 'https://evil.example' });
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body)).toMatchObject({ code: 'DRAWDOWN_ORIGIN_NOT_ALLOWED' });
    const missing = await get(`${readOnly.url}nothing/here`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ code: DashboardErrorCodes.NOT_FOUND, hint: expect.any(String) });
    const put = await get(`${readOnly.url}api/snapshot`, {}, 'PUT');
    expect(put.status).toBe(405);
    expect(JSON.parse(put.body)).toMatchObject({ code: DashboardErrorCodes.METHOD_NOT_ALLOWED });
    expect((await get(`${readOnly.url}api/snapshot`, { origin: `http://localhost:${readOnly.port}` })).status).toBe(
      200,
    );
  });

  it('will not bind beyond loopback without a token, and checks its options', async () => {
    const refusal = await startDashboard({ hub, host: '0.0.0.0' }).catch((e: unknown) => e);
    expect(isDrawdownError(refusal, DashboardErrorCodes.TOKEN_REQUIRED)).toBe(true);
    expect(String((refusal as Error).message)).toMatch(/without a token.*bind 127\.0\.0\.1/);
    await expect(startDashboard({ hub, token: 'short' })).rejects.toThrow(/token.*shorter than 16/);
    await expect(startDashboard({ hub, port: 70_000 })).rejects.toThrow(/port.*65535/);
  });

  it('with a token, asks for it, takes it once from ?token= into a cookie, and then serves', async () => {
    const token = 'a-long-random-dashboard-token-123';
    const guarded = await startDashboard({ hub, token });
    try {
      const unauthorized = await get(guarded.url);
      expect(unauthorized.status).toBe(401);
      expect(JSON.parse(unauthorized.body)).toMatchObject({
        code: 'DRAWDOWN_TOKEN_REQUIRED',
        hint: expect.stringContaining('?token='),
      });
      expect((await get(guarded.url, { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
      expect((await get(`${guarded.url}api/snapshot`, { authorization: `Bearer ${token}` })).status).toBe(200);
      const handoff = await get(`${guarded.url}?token=${token}`);
      expect(handoff.status).toBe(303);
      expect(handoff.headers.location).toBe('/');
      const cookie = String(handoff.headers['set-cookie']).split(';')[0]!;
      expect(String(handoff.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await get(guarded.url, { cookie })).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('is read-only unless started with writes', async () => {
    const refused = await post(`${readOnly.url}api/write/add_funds`, { args: { poolId: 'credits', amountUsd: '1' } });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({
      code: 'DRAWDOWN_DASHBOARD_READ_ONLY',
      hint: expect.stringContaining('--writes'),
    });
  });

  it("adds funds only after the person confirms the MCP tool's own question, word for word", async () => {
    const balance = async () => (await readDashboard(hub)).pools.find((p) => p.id === 'credits')!.remainingUsd;
    const before = await balance();
    const url = `${writable.url}api/write/add_funds`;
    const args = { poolId: 'credits', amountUsd: '2.50', idempotencyKey: 'dashboard-test-add-1' };
    const first = JSON.parse((await post(url, { args })).body);
    expect(first).toMatchObject({
      kind: 'confirm',
      question: expect.stringContaining('Add $2.50 to "credits"? Your payment method is charged now.'),
    });
    expect(await balance()).toBe(before);
    const wrong = JSON.parse((await post(url, { args, confirmed: 'Add $2.50 to something else?' })).body);
    expect(wrong).toEqual(first);
    expect(await balance()).toBe(before);
    const done = JSON.parse((await post(url, { args, confirmed: first.question })).body);
    expect(done).toMatchObject({ kind: 'done', result: { poolId: 'credits', status: 'succeeded', amountUsd: '2.5' } });
    expect(Number(await balance()) - Number(before)).toBeCloseTo(2.5, 9);
  });

  it('changes auto-reload after confirmation, and turns it off the same way', async () => {
    const url = `${writable.url}api/write/set_auto_reload`;
    const policy = async () => (await readDashboard(hub)).pools.find((p) => p.id === 'credits')!.autoReload;
    const on = { poolId: 'credits', enabled: true, thresholdUsd: '3.00', amountUsd: '15.00', monthlyLimitUsd: '60.00' };
    const asked = JSON.parse((await post(url, { args: on })).body);
    expect(asked.question).toMatch(/below \$3\.00, buy \$15\.00 .*at most \$60\.00 a month\?/);
    expect(await policy()).toMatchObject({ thresholdUsd: '5', amountUsd: '20' });
    expect(JSON.parse((await post(url, { args: on, confirmed: asked.question })).body)).toMatchObject({ kind: 'done' });
    expect(await policy()).toMatchObject({ thresholdUsd: '3', amountUsd: '15', monthlyLimitUsd: '60' });
    const off = { poolId: 'credits', enabled: false };
    const offQuestion = JSON.parse((await post(url, { args: off })).body).question as string;
    expect(offQuestion).toMatch(/Turn auto-reload off for "credits"\?/);
    expect(JSON.parse((await post(url, { args: off, confirmed: offQuestion })).body)).toMatchObject({ kind: 'done' });
    expect(await policy()).toBeNull();
  });

  it('answers bad write requests with the field and the fix', async () => {
    const url = `${writable.url}api/write/`;
    expect(JSON.parse((await post(`${url}delete_everything`, {})).body)).toMatchObject({
      code: 'DRAWDOWN_DASHBOARD_NOT_FOUND',
    });
    const notJson = await get(`${url}add_funds`, { 'content-type': 'text/plain' }, 'POST', 'x');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).message).toMatch(/JSON/);
    const notFundable = JSON.parse((await post(`${url}add_funds`, { args: { poolId: 'trial', amountUsd: '1' } })).body);
    expect(notFundable).toMatchObject({ kind: 'error', message: expect.stringMatching(/trial/) });
    const offWithoutThreshold = JSON.parse(
      (await post(`${url}set_auto_reload`, { args: { poolId: 'credits', enabled: true } })).body,
    );
    expect(offWithoutThreshold).toMatchObject({ kind: 'error', message: expect.stringMatching(/thresholdUsd/) });
  });
});

describe('drawdown dashboard without a configuration', () => {
  let dir: string;
  let dashboard: Dashboard | undefined;
  beforeAll(() => {
    dir = recentClaudeLogs();
  });
  afterAll(async () => {
    await dashboard?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts with only the observed spend, Claude Code's logs read by the core reader", async () => {
    const usage = await readClaudeCodeUsage({ env: { CLAUDE_CONFIG_DIR: dir }, timeZone: 'UTC', cacheFile: false });
    dashboard = await startDashboard({
      timeZone: 'UTC',
      observed: (range) =>
        readClaudeCodeUsage({ env: { CLAUDE_CONFIG_DIR: dir }, ...range, cacheFile: join(dir, 'cache.json') }),
    });
    const snapshot = JSON.parse((await get(`${dashboard.url}api/snapshot`)).body) as DashboardSnapshot;
    expect(snapshot).toMatchObject({ mode: 'zero-config', timeZone: 'UTC', pools: [], recent: [], writes: false });
    expect(snapshot.route).toBeUndefined();
    expect(snapshot.observed).toMatchObject({
      source: 'claude-code-logs',
      observed: true,
      enforced: false,
      totalUsd: toDecimalString(usage.total),
      requests: usage.requests,
      unconfirmedUsd: '0.008',
      unconfirmedModels: ['claude-fable-5-2'],
      skipped: { garbage: 0, truncated: 0, absurd: 0, malformed: 0 },
      metered: { requests: 0, costUsd: '0' },
    });
    // The chart's series add up to the total, to the nanodollar.
    const sum = snapshot.observed!.byModel.flatMap((g) => g.usd).reduce((a, v) => a + usd(v), 0);
    expect(sum).toBe(usage.total);
    expect((await get(dashboard.url)).body).toContain('No drawdown configuration yet');
  });

  it('needs a hub or observed spend, and writes need a hub', async () => {
    await expect(startDashboard({})).rejects.toThrow(/option "hub" is missing, and so is observed/);
    await expect(
      startDashboard({ observed: async () => readClaudeCodeUsage({ env: {}, timeZone: 'UTC' }), writes: true }),
    ).rejects.toThrow(/option "writes" is on without a hub/);
  });
});
