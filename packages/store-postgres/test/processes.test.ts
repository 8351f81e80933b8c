import { usd } from '@drawdown/core';
import { afterEach, expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { describePostgres, uniqueSchema, url } from './postgres.js';
import { startWorker, type Worker } from './workers/spawn.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const started: Worker[] = [];
afterEach(() => {
  for (const w of started.splice(0)) w.child.kill('SIGKILL');
});
const start = (args: object): Worker => {
  const worker = startWorker(args);
  started.push(worker);
  return worker;
};

describePostgres('postgres store across real processes', () => {
  it('admits exactly 50 of 4 processes × 250 concurrent $0.10 reservations against $5', async () => {
    const schema = uniqueSchema();
    await (await postgresStore({ connectionString: url, schema })).close();
    const workers = Array.from({ length: 4 }, (_, p) => start({ url, schema, mode: 'reserve', tag: `p${p}`, count: 250, amount: '0.10', cap: '5', now: NOW, ttlMs: 60_000 }));
    for (const w of workers) expect(await w.next()).toEqual({ step: 'ready' });
    for (const w of workers) w.send('go');
    const admitted = (await Promise.all(workers.map((w) => w.next()))).map((m) => m.admitted as number);
    expect(admitted.reduce((a, b) => a + b, 0)).toBe(50);
    const store = await postgresStore({ connectionString: url, schema, listen: false });
    expect(await store.snapshot({ account: 'shared', now: NOW })).toMatchObject({ held: usd('5'), activeHolds: 50 });
    await store.close();
  }, 30_000);

  it('gets the funds of a SIGKILLed process back after the hold TTL, losing none of its settled charges', async () => {
    const schema = uniqueSchema();
    const ttlMs = 30_000;
    const worker = start({ url, schema, mode: 'crash', tag: 'dead', count: 20, amount: '0.25', cap: '5', now: NOW, ttlMs, settle: 6 });
    await worker.next();
    worker.send('go');
    const held = await worker.next();
    expect(held).toMatchObject({ step: 'held', admitted: 20 });
    worker.child.kill('SIGKILL');
    await worker.exited;

    const store = await postgresStore({ connectionString: url, schema, listen: false });
    expect(await store.snapshot({ account: 'shared', now: NOW + ttlMs - 1 })).toMatchObject({ held: usd('3.50'), activeHolds: 14, settled: { lifetime: usd('1.50') } });
    const cap = [{ kind: 'cap' as const, name: 'shared budget', scope: 'lifetime', cap: usd('5') }];
    const placement = { scopes: [], day: '2026-11-23' };
    expect((await store.reserve({ account: 'shared', key: 'early', amount: usd('0.01'), ttlMs, now: NOW + ttlMs - 1, limits: cap, ...placement })).ok).toBe(false);
    const after = await store.snapshot({ account: 'shared', now: NOW + ttlMs });
    expect(after).toMatchObject({ held: 0, activeHolds: 0, settled: { lifetime: usd('1.50') } });
    expect((await store.reserve({ account: 'shared', key: 'survivor', amount: usd('3.50'), ttlMs, now: NOW + ttlMs, limits: cap, ...placement })).ok).toBe(true);

    const charges = await store.entries({ account: 'shared', kinds: ['charge'] });
    expect(charges.map((e) => (e.kind === 'charge' ? e.record.key : '')).sort()).toEqual((held.settled as string[]).sort());
    expect(charges.reduce((s, e) => s + (e.kind === 'charge' ? e.record.cost : 0), 0)).toBe(after.settled.lifetime);
    expect((await store.settle({ account: 'shared', key: 'dead-10', cost: usd('0.20'), now: NOW + ttlMs + 5 })).status).toBe('settled');
    expect((await store.settle({ account: 'shared', key: 'dead-10', cost: usd('0.20'), now: NOW + ttlMs + 6 })).status).toBe('duplicate');
    expect((await store.snapshot({ account: 'shared', now: NOW + ttlMs + 6 })).settled.lifetime).toBe(usd('1.70'));
    await store.close();
  }, 30_000);
});
