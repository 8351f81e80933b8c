import { describe, expect, it } from 'vitest';
import {
  apiKey,
  budget,
  createHub,
  memoryStore,
  usd,
  type DrawdownEventName,
  type DrawdownPlugin,
} from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { quiet } from './helpers.js';

const trialHub = (amount = '5', extra: DrawdownPlugin[] = []) =>
  createHub({
    ...quiet,
    plugins: [apiKey({ id: 'bundled', key: 'sk-ant-bundled-secret' }), budget({ id: 'trial', amount }), ...extra],
    route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
  });

describe('hub', () => {
  it('admits exactly 50 of 1,000 concurrent $0.10 requests against a $5 budget', async () => {
    const hub = await trialHub('5');
    const results = await Promise.allSettled(Array.from({ length: 1000 }, () => hub.begin({ amount: usd('0.10') })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(50);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED' });
    expect(refused.reason.message).toMatch(/trial budget: this request needs \$0\.10 held but only \$0\.00 is left/);
    const status = await hub.pool('trial').status();
    expect(status.held).toBe(usd('5'));
  });

  it('announces each step after it is stored, in order', async () => {
    const hub = await trialHub('1');
    const seen: string[] = [];
    const pending: Array<Promise<void>> = [];
    // Each listener reads the store at the moment it is called: the state must already be there.
    const record = (name: DrawdownEventName) =>
      hub.on(name, () => {
        const index = seen.push(name) - 1;
        pending.push(
          hub.store
            .snapshot({ account: 'trial', now: hub.clock.now() })
            .then((s) => void (seen[index] = `${name} held=${s.held} spent=${s.settled.lifetime}`)),
        );
      });
    (['request.routed', 'request.settled', 'budget.crossed', 'pool.low', 'pool.exhausted'] as const).forEach(record);
    const first = await hub.begin({ model: 'claude-haiku-4-5', amount: usd('0.60') });
    await first.settle({ usage: { input_tokens: 100_000, output_tokens: 100_000 } }); // $0.10 + $0.50
    const second = await hub.begin({ model: 'claude-haiku-4-5', amount: usd('0.40') });
    await second.settle({ cost: usd('0.40') });
    await Promise.all(pending);
    expect(seen).toEqual([
      `request.routed held=${usd('0.6')} spent=0`,
      `request.settled held=0 spent=${usd('0.6')}`,
      `budget.crossed held=0 spent=${usd('0.6')}`,
      `request.routed held=${usd('0.4')} spent=${usd('0.6')}`,
      `request.settled held=0 spent=${usd('1')}`,
      `budget.crossed held=0 spent=${usd('1')}`,
      `budget.crossed held=0 spent=${usd('1')}`,
      `pool.exhausted held=0 spent=${usd('1')}`,
    ]);
  });

  it('keeps a request going when a listener throws, and reports the failure', async () => {
    const hub = await trialHub('5');
    const failures: string[] = [];
    hub.on('listener.failed', (e) => void failures.push(`${e.event}: ${(e.error as Error).message}`));
    hub.on('request.settled', () => {
      throw new Error('dashboard is down');
    });
    hub.on('request.routed', async () => {
      throw new Error('async listener rejected');
    });
    const lease = await hub.begin({ model: 'claude-haiku-4-5', amount: usd('0.01') });
    const settled = await lease.settle({ usage: { input_tokens: 1000, output_tokens: 0 } });
    await new Promise((r) => setTimeout(r, 0));
    expect(settled).toMatchObject({ status: 'settled', costUsd: '0.001' });
    expect(failures).toEqual(['request.routed: async listener rejected', 'request.settled: dashboard is down']);
  });

  it('charges a request once however often settle is called', async () => {
    const hub = await trialHub('5');
    const settled: number[] = [];
    hub.on('request.settled', (e) => void settled.push(e.cost));
    const lease = await hub.begin({ requestId: 'msg_1', model: 'claude-haiku-4-5', amount: usd('0.10') });
    const usage = { input_tokens: 1000, output_tokens: 1000 };
    const results = await Promise.all([
      lease.settle({ usage }),
      lease.settle({ usage }),
      hub.charge({ requestId: 'msg_1', entry: 'trial', model: 'claude-haiku-4-5', usage }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['duplicate', 'duplicate', 'settled']);
    expect(settled).toEqual([usd('0.006')]);
    expect((await hub.pool('trial').status()).spent).toBe(usd('0.006'));
  });

  it('releases the hold of a failed request and says so', async () => {
    const hub = await trialHub('1');
    const failed: unknown[] = [];
    hub.on('request.failed', (e) => void failed.push(e));
    const lease = await hub.begin({ amount: usd('1') });
    await lease.fail(new Error('socket hang up'));
    expect(failed).toEqual([
      expect.objectContaining({
        released: usd('1'),
        code: 'DRAWDOWN_REQUEST_FAILED',
        message: 'socket hang up',
        retrying: false,
      }),
    ]);
    expect((await hub.pool('trial').status()).held).toBe(0);
    await expect(hub.begin({ amount: usd('1') })).resolves.toMatchObject({ held: usd('1') });
  });

  it('sizes holds from the rate card and explains a refusal with the max_tokens that would fit', async () => {
    const hub = await trialHub('0.01');
    await expect(
      hub.begin({ model: 'claude-opus-4-7', estimate: { inputTokens: 1000, maxTokens: 32_000 } }),
    ).rejects.toThrow(/hold was \$0\.80: 1000 input tokens as given, plus max_tokens 32000.*lower max_tokens/);
    const lease = await hub.begin({ model: 'claude-opus-4-7', estimate: { inputTokens: 1000, maxTokens: 100 } });
    expect(lease.held).toBe(usd('0.0075'));
  });

  it('lets holds of a crashed caller expire so the funds come back', async () => {
    const clock = manualClock();
    const hub = await createHub({
      ...quiet,
      clock,
      holdTtlMs: 60_000,
      plugins: [apiKey({ id: 'k', key: 'sk-x' }), budget({ id: 'trial', amount: '1' })],
      route: { entries: [{ id: 'trial', strategy: 'k', pool: 'trial' }] },
    });
    await hub.begin({ amount: usd('1') }); // never settled: the caller "crashed"
    await expect(hub.begin({ amount: usd('0.5') })).rejects.toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED' });
    clock.advance(60_001);
    await expect(hub.begin({ amount: usd('1') })).resolves.toMatchObject({ held: usd('1') });
  });
});

describe('plugin registration', () => {
  it('refuses a duplicate plugin id with a coded error naming it', async () => {
    await expect(
      createHub({ ...quiet, plugins: [budget({ id: 'trial', amount: '1' }), budget({ id: 'trial', amount: '2' })] }),
    ).rejects.toMatchObject({
      code: 'DRAWDOWN_DUPLICATE_PLUGIN',
      data: { plugin: 'trial', field: 'id' },
    });
  });

  it('refuses a plugin whose dependency is missing, and a dependency cycle', async () => {
    const needs = (id: string, dependencies: string[]) =>
      ({ id, kind: 'other', dependencies, setup: () => {} }) satisfies DrawdownPlugin;
    await expect(createHub({ ...quiet, plugins: [needs('alerts', ['credits'])] })).rejects.toMatchObject({
      code: 'DRAWDOWN_MISSING_DEPENDENCY',
      data: { plugin: 'alerts', dependency: 'credits' },
    });
    await expect(createHub({ ...quiet, plugins: [needs('a', ['b']), needs('b', ['a'])] })).rejects.toMatchObject({
      code: 'DRAWDOWN_DEPENDENCY_CYCLE',
    });
  });

  it('sets plugins up after their dependencies whatever the listed order', async () => {
    const order: string[] = [];
    const plugin = (id: string, dependencies: string[] = []) =>
      ({ id, kind: 'other', dependencies, setup: () => void order.push(id) }) satisfies DrawdownPlugin;
    await createHub({
      ...quiet,
      plugins: [plugin('notifier', ['wallet']), plugin('wallet', ['auth']), plugin('auth')],
    });
    expect(order).toEqual(['auth', 'wallet', 'notifier']);
  });

  it('refuses invalid options at creation, naming the plugin and the field', async () => {
    expect(() => budget({ id: 'trial', amount: '-1' })).toThrowError(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_OPTION',
        data: {
          owner: 'budget("trial")',
          field: 'amount',
          problem: 'must be more than zero',
          fix: 'Write it like "10.00".',
        },
      }),
    );
    expect(() => budget({ id: 'trial', amount: '1', period: 'year' as never })).toThrow(/option "period"/);
    expect(() => apiKey({ id: 'bundled', key: '' })).toThrow(/apiKey\("bundled"\): option "key" is empty/);
    await expect(createHub({ timeZone: 'Mars/Olympus' })).rejects.toThrow(/not an IANA time zone/);
  });

  it('refuses a route that names an unregistered pool or strategy', async () => {
    await expect(
      createHub({ ...quiet, plugins: [apiKey()], route: { entries: [{ id: 'x', strategy: 'apiKey', pool: 'nope' }] } }),
    ).rejects.toMatchObject({
      code: 'DRAWDOWN_UNKNOWN_REFERENCE',
      data: { field: 'route.entries[0].pool' },
    });
  });

  it('never shows the key in status, events or errors', async () => {
    const hub = await trialHub('0.01');
    const out: unknown[] = [];
    for (const name of ['request.routed', 'request.failed', 'route.switched'] as const)
      hub.on(name, (e) => void out.push(e));
    out.push(await hub.status(), await hub.strategy('bundled').status());
    out.push(
      await hub
        .begin({ amount: usd('1') })
        .catch((e: Error) => ({ message: e.message, data: (e as { data?: unknown }).data })),
    );
    expect(JSON.stringify(out)).not.toContain('sk-ant-bundled-secret');
  });

  it('closes plugins and stops on close', async () => {
    let closed = 0;
    const hub = await createHub({
      ...quiet,
      store: memoryStore(),
      plugins: [{ id: 'x', kind: 'other', setup: () => ({ close: () => void closed++ }) }],
    });
    await hub.close();
    await hub.close();
    expect(closed).toBe(1);
  });
});

describe('hub.refreshPool', () => {
  it('reads a pool once for a burst of refreshes: calls during a read share one read that starts after it', async () => {
    const store = memoryStore();
    const reads: Array<{ started: number; finish: () => void }> = [];
    let tick = 0;
    let blocking = false;
    const snapshot = store.snapshot.bind(store);
    const hub = await createHub({
      ...quiet,
      store: {
        ...store,
        snapshot: async (input) => {
          if (!blocking) return snapshot(input);
          const read = { started: ++tick, finish: () => {} };
          reads.push(read);
          await new Promise<void>((resolve) => {
            read.finish = resolve;
          });
          return snapshot(input);
        },
      },
      plugins: [apiKey({ id: 'bundled', key: 'sk-ant-bundled-secret' }), budget({ id: 'trial', amount: '5' })],
      route: { entries: [{ id: 'trial', strategy: 'bundled', pool: 'trial' }] },
    });
    blocking = true;
    const first = hub.refreshPool('trial');
    await Promise.resolve();
    expect(reads).toHaveLength(1);
    const calledDuring = ++tick;
    const burst = Array.from({ length: 20 }, () => hub.refreshPool('trial'));
    expect(reads).toHaveLength(1);
    reads[0]!.finish();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toHaveLength(2);
    expect(reads[1]!.started).toBeGreaterThan(calledDuring);
    reads[1]!.finish();
    await Promise.all(burst);
    expect(reads).toHaveLength(2);
    // Once idle, the next call reads again.
    const later = hub.refreshPool('trial');
    await Promise.resolve();
    expect(reads).toHaveLength(3);
    reads[2]!.finish();
    await later;
    await hub.close();
  });
});
