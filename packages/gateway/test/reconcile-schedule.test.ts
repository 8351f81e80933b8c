import { createHub, silentLogger, type DrawdownEvents, type Hub } from '@drawdown/core';
import { replies } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import { reconcileSchedule } from '../src/index.js';
import { scrape, setup, TRIAL_SECRET, type Setup } from './helpers.js';

const ADMIN_KEY = 'sk-ant-admin01-test-0000000000000SECRET';
const HOUR = 3_600_000;
const EVERY_MS = 300;
const usage = { input_tokens: 1000, output_tokens: 500, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
const body = { model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] };

/** The wall clock, moved ahead on demand: the scheduled runs read buckets as final once it is hours on. */
function shiftableClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, skip: (ms: number) => void (offset += ms) };
}

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A gateway whose hub reconciles every EVERY_MS against the testkit's Admin API; `drift` collects the alerts. */
async function scheduled(options: { adminKey?: () => string | undefined } = {}) {
  const clock = shiftableClock();
  const s = await setup({
    clock,
    admin: { keys: { ops: ADMIN_KEY } },
    gateway: (upstream) => ({
      reconcile: {
        everyMs: EVERY_MS,
        keys: { trial: 'apikey_trial', credits: 'apikey_credits' },
        adminKey: options.adminKey ?? (() => ADMIN_KEY),
        baseUrl: upstream.url,
      },
    }),
  });
  const drift: Array<DrawdownEvents['reconcile.drift']> = [];
  s.hub.on('reconcile.drift', (event) => void drift.push(event));
  return { ...s, clock, drift };
}

/** One metered request through the gateway on the trial pool, and one the ledger never sees, straight upstream. */
async function plantMissedRequest({ upstream, gateway, keys }: Setup): Promise<void> {
  const { key } = await keys.create({ name: 'app', routes: ['trial'] });
  upstream.enqueue(replies.message({ usage }), replies.message({ usage }));
  const metered = await fetch(`${gateway.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(metered.status).toBe(200);
  await metered.text();
  const direct = await fetch(`${upstream.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': TRIAL_SECRET, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  });
  expect(direct.status).toBe(200);
  await direct.text();
  await gateway.idle();
}

describe('the gateway reconciles on a schedule', () => {
  it('records zero drift for /metrics on a clean ledger and raises nothing', async () => {
    const s = await scheduled();
    const { key } = await s.keys.create({ name: 'app', routes: ['trial'] });
    s.upstream.enqueue(replies.message({ usage }));
    expect(
      await fetch(`${s.gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.status),
    ).toBe(200);
    await s.gateway.idle();
    s.clock.skip(2 * HOUR);
    const calls = s.upstream.admin!.calls;
    await until('two runs after the buckets became final', () => s.upstream.admin!.calls >= calls + 2);
    const { value, family } = await scrape(s.gateway.url);
    expect(
      family('drawdown_reconcile_drift_nanodollars')
        .metrics.map((m) => m.labels?.pool)
        .sort(),
    ).toEqual(['credits', 'trial']);
    expect(value('drawdown_reconcile_drift_nanodollars', { pool: 'trial' })).toBe(0);
    expect(value('drawdown_reconcile_last_run_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 + HOUR / 1000);
    expect(s.drift).toEqual([]);
  }, 60_000);

  it('raises one reconcile.drift per drifting run and shows the drift on /metrics', async () => {
    const s = await scheduled();
    await plantMissedRequest(s);
    // Within the reporting lag the missed request is "not reported yet" at worst: no alert.
    await until('a run inside the lag', () => s.upstream.admin!.calls >= 2);
    expect(s.drift).toEqual([]);

    s.clock.skip(2 * HOUR);
    const before = s.upstream.admin!.calls;
    await until('three drifting runs', () => s.drift.length >= 3);
    // Each run reads one report page: one alert per run, none repeated or lost.
    const runs = s.upstream.admin!.calls - before;
    expect(Math.abs(s.drift.length - runs)).toBeLessThanOrEqual(1);
    const [event] = s.drift;
    // The request the ledger missed: 1,000 input and 500 output Sonnet 4.6 tokens, $0.0105.
    expect(event).toMatchObject({
      driftNanos: 10_500_000,
      toleranceNanos: 10_000_000,
      pools: { trial: -10_500_000, credits: 0 },
      groups: [
        { apiKeyId: 'apikey_trial', model: 'claude-sonnet-4-6', pools: ['trial'], reason: 'token counts differ' },
      ],
    });
    expect(event!.message).toBe(
      "reconcile: 1 group drifts $0.0105 from Anthropic's usage report (tolerance $0.01); pools: trial",
    );
    const { value } = await scrape(s.gateway.url);
    expect(value('drawdown_reconcile_drift_nanodollars', { pool: 'trial' })).toBe(-10_500_000);
    expect(value('drawdown_reconcile_drift_nanodollars', { pool: 'credits' })).toBe(0);
    expect(s.logger.lines.join('\n')).not.toContain(ADMIN_KEY);
  }, 60_000);

  it('logs an Admin API 429 or 500, tries again at the next run, and keeps serving', async () => {
    const s = await scheduled();
    await plantMissedRequest(s);
    await until('a first run', () => s.upstream.admin!.calls >= 1);
    s.upstream.admin!.enqueue(
      replies.rateLimited({ retryAfterSeconds: 30 }),
      replies.error(500, 'api_error', 'Internal server error'),
    );
    s.clock.skip(2 * HOUR);
    await until('a drifting run after the failures', () => s.drift.length >= 1);
    const warnings = s.logger.lines.filter((l) => l.includes('scheduled reconcile failed'));
    expect(warnings[0]).toContain('DRAWDOWN_RECONCILE_RATE_LIMITED');
    expect(warnings[0]).toContain('try again in 30 s');
    expect(warnings[1]).toContain('DRAWDOWN_RECONCILE_UPSTREAM_FAILED');
    expect(warnings[1]).toContain('answered 500');
    for (const line of warnings) expect(line).toMatch(/it runs again in 1m$/);
    expect(s.logger.lines.join('\n')).not.toContain(ADMIN_KEY);
    // The gateway went on answering throughout.
    const { key } = await s.keys.create({ name: 'after', routes: ['trial'] });
    const after = await fetch(`${s.gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(after.status).toBe(200);
  }, 60_000);

  it('skips a run without an Admin key, saying which variable to set', async () => {
    let adminKey: string | undefined;
    const s = await scheduled({ adminKey: () => adminKey });
    await until('a skipped run', () => s.logger.lines.some((l) => l.includes('scheduled reconcile skipped')));
    expect(s.logger.lines.find((l) => l.includes('skipped'))).toContain('ANTHROPIC_ADMIN_KEY is not set');
    expect(s.upstream.admin!.calls).toBe(0);
    adminKey = ADMIN_KEY;
    await until('a run once the key is set', () => s.upstream.admin!.calls >= 1);
  }, 60_000);

  it('runs in one process of a shared ledger: one alert per drifting run, not one per gateway', async () => {
    const s = await scheduled();
    // A second hub on the same ledger (another gateway process in team mode), with the same schedule.
    const other: Hub = await createHub({ store: s.hub.store, logger: silentLogger, clock: s.clock });
    const otherDrift: unknown[] = [];
    other.on('reconcile.drift', (e) => void otherDrift.push(e));
    await other.use(
      reconcileSchedule({
        everyMs: EVERY_MS,
        keys: { trial: 'apikey_trial', credits: 'apikey_credits' },
        adminKey: () => ADMIN_KEY,
        baseUrl: s.upstream.url,
      }),
    );
    try {
      await plantMissedRequest(s);
      s.clock.skip(2 * HOUR);
      const before = s.upstream.admin!.calls;
      await until('drifting runs', () => s.drift.length + otherDrift.length >= 4);
      const runs = s.upstream.admin!.calls - before;
      expect(Math.abs(s.drift.length + otherDrift.length - runs)).toBeLessThanOrEqual(1);
      // The first gateway holds the schedule; the second never ran it.
      expect(otherDrift).toEqual([]);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('checks its options, naming the field', () => {
    const field = (options: Record<string, unknown>) => {
      try {
        reconcileSchedule({ everyMs: 1000, keys: { a: 'apikey_a' }, adminKey: () => 'k', ...options } as never);
      } catch (error) {
        return (error as { data: { field: string } }).data.field;
      }
      return undefined;
    };
    expect(field({ everyMs: 0 })).toBe('everyMs');
    expect(field({ bucket: '5m' })).toBe('bucket');
    expect(field({ keys: {} })).toBe('keys');
    expect(field({ adminKey: 'sk-ant-admin' })).toBe('adminKey');
    expect(field({})).toBeUndefined();
  });
});
