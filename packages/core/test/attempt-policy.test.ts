import {
  apiKey,
  budget,
  createHub,
  memoryStore,
  usd,
  type AuthStrategy,
  type DrawdownPlugin,
  type LimitSignal,
  type Pool,
  type RequestLease,
} from '@drawdown/core';
import { attemptAlongRoute, type AttemptReply } from '@drawdown/core/internal';
import { describe, expect, it } from 'vitest';
import { quiet } from './helpers.js';

/** A key strategy whose onUnauthorized() answers what the test says, counting the calls. */
function refreshingKey(id: string, refreshes: boolean) {
  const calls = { onUnauthorized: 0 };
  const strategy: AuthStrategy = {
    id,
    kind: 'apiKey',
    credentials: async () => ({ apiKey: `sk-${id}` }),
    childEnv: () => ({}),
    status: async () => ({ ready: true, detail: 'key' }),
    async onUnauthorized() {
      calls.onUnauthorized += 1;
      return refreshes;
    },
  };
  return { calls, plugin: { id, kind: 'auth', setup: () => ({ strategy }) } satisfies DrawdownPlugin };
}

/** Budget pools that record every signal they are shown. */
async function twoEntryHub(options: { refreshes?: boolean } = {}) {
  const signals: Array<{ pool: string; signal: LimitSignal }> = [];
  const key = refreshingKey('k', options.refreshes ?? false);
  const hub = await createHub({
    ...quiet,
    store: memoryStore(),
    plugins: [
      key.plugin,
      apiKey({ id: 'k2', key: 'sk-k2' }),
      budget({ id: 'trial', amount: '1' }),
      budget({ id: 'credits', amount: '1' }),
    ],
    route: {
      entries: [
        { id: 'trial', strategy: 'k', pool: 'trial' },
        { id: 'credits', strategy: 'k2', pool: 'credits' },
      ],
    },
  });
  for (const pool of hub.pools()) {
    (pool as Pool & { observe: Pool['observe'] }).observe = async (signal) => {
      signals.push({ pool: pool.id, signal });
    };
  }
  const begin = (exclude: string[]) =>
    hub.begin({ model: 'claude-sonnet-5-5', amount: usd('0.1'), ...(exclude.length > 0 && { exclude }) });
  const held = async () =>
    Object.fromEntries(await Promise.all(hub.pools().map(async (p) => [p.id, (await p.status()).held])));
  return { hub, signals, begin, held, calls: key.calls };
}

const planLimit: AttemptReply<string, string> = {
  ok: false,
  status: 429,
  headers: { 'anthropic-ratelimit-unified-status': 'rejected', 'anthropic-ratelimit-unified-reset': '1900000000' },
  errorType: 'rate_limit_error',
  message: 'plan limit reached',
  error: new Error('429'),
  value: 'refusal body',
};

describe('the attempt policy', () => {
  it('shows every answer to the entry pool: headers of a success, and an error signal for an error', async () => {
    const { hub, signals, begin } = await twoEntryHub();
    const replies: Array<AttemptReply<string, string>> = [
      {
        ok: false,
        status: 529,
        headers: { 'retry-after': '3' },
        errorType: 'overloaded_error',
        error: new Error('529'),
        value: 'busy',
      },
    ];
    const refused = await attemptAlongRoute({ hub, begin, failover: true, attempt: async () => replies.shift()! });
    expect(refused).toMatchObject({ kind: 'refused', reply: { status: 529 }, refusedBy: [] });
    expect(refused).not.toHaveProperty('refusal'); // overloaded is not "this pool cannot pay"
    const answered = await attemptAlongRoute({
      hub,
      begin,
      failover: true,
      attempt: async () => ({ ok: true, value: 'message', headers: { 'anthropic-ratelimit-tokens-remaining': '10' } }),
    });
    expect(answered).toMatchObject({ kind: 'answered', value: 'message' });
    expect(signals.map((s) => [s.pool, s.signal.source, s.signal.status])).toEqual([
      ['trial', 'error', 529],
      ['trial', 'headers', undefined],
    ]);
    await hub.close();
  });

  it('fails over once when the pool cannot pay, releasing the first hold, and never twice', async () => {
    const { hub, begin, held } = await twoEntryHub();
    const tried: string[] = [];
    const outcome = await attemptAlongRoute({
      hub,
      begin,
      failover: true,
      attempt: async (lease) => {
        tried.push(lease.entry.id);
        return tried.length === 1 ? planLimit : { ok: true, value: 'answer' };
      },
    });
    expect(tried).toEqual(['trial', 'credits']);
    expect(outcome).toMatchObject({ kind: 'answered', refusedBy: ['trial'] });
    expect(await held()).toEqual({ trial: 0, credits: usd('0.1') });
    const again: string[] = [];
    const twice = await attemptAlongRoute({
      hub,
      begin,
      failover: true,
      attempt: async (lease) => {
        again.push(lease.entry.id);
        return planLimit;
      },
    });
    expect(again).toEqual(['trial', 'credits']);
    expect(twice).toMatchObject({ kind: 'refused', refusal: 'plan-limit', refusedBy: ['trial'] });
    expect(await held()).toEqual({ trial: 0, credits: usd('0.1') }); // only the first call's answered hold
    await hub.close();
  });

  it('does not fail over when failover is off or the client has gone', async () => {
    const { hub, begin, held } = await twoEntryHub();
    const off = await attemptAlongRoute({ hub, begin, failover: false, attempt: async () => planLimit });
    expect(off).toMatchObject({ kind: 'refused', refusal: 'plan-limit', refusedBy: [] });
    const gone = new AbortController();
    gone.abort();
    const left = await attemptAlongRoute({
      hub,
      begin,
      failover: true,
      signal: gone.signal,
      attempt: async () => planLimit,
    });
    expect(left).toMatchObject({ kind: 'refused', refusedBy: [] });
    expect(await held()).toEqual({ trial: 0, credits: 0 });
    await hub.close();
  });

  it('asks the strategy onUnauthorized() once on a 401 and retries on the same hold when it refreshed', async () => {
    const { hub, begin, calls } = await twoEntryHub({ refreshes: true });
    const unauthorized: AttemptReply<string, string> = {
      ok: false,
      status: 401,
      headers: {},
      errorType: 'authentication_error',
      error: new Error('401'),
      value: 'no',
    };
    const leases: RequestLease[] = [];
    const refreshed: string[] = [];
    const outcome = await attemptAlongRoute({
      hub,
      begin,
      failover: true,
      refreshed: (lease) => refreshed.push(lease.entry.id),
      attempt: async (lease) => {
        leases.push(lease);
        return leases.length === 1 ? unauthorized : { ok: true, value: 'fresh' };
      },
    });
    expect(outcome).toMatchObject({ kind: 'answered', value: 'fresh' });
    expect(calls.onUnauthorized).toBe(1);
    expect(refreshed).toEqual(['trial']);
    expect(leases[0]).toBe(leases[1]);
    // A second 401 after the refresh stands: the strategy is not asked again.
    const stuck = await attemptAlongRoute({ hub, begin, failover: true, attempt: async () => unauthorized });
    expect(stuck).toMatchObject({ kind: 'refused', reply: { status: 401 } });
    expect(calls.onUnauthorized).toBe(2); // once for this request
    await hub.close();
  });

  it('fails the lease and rethrows when the attempt throws, so nothing stays held', async () => {
    const { hub, begin, held } = await twoEntryHub();
    const failed: string[] = [];
    hub.on('request.failed', (e) => {
      failed.push(e.entryId ?? '');
    });
    await expect(
      attemptAlongRoute({
        hub,
        begin,
        failover: true,
        attempt: async () => {
          throw new Error('ECONNREFUSED');
        },
      }),
    ).rejects.toThrow('ECONNREFUSED');
    expect(failed).toEqual(['trial']);
    expect(await held()).toEqual({ trial: 0, credits: 0 });
    await hub.close();
  });
});
