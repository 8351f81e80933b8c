import { usd, type LedgerChange } from '@drawdown/core';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteStore } from '../src/index.js';
import { ledgerFile, tempDir } from './helpers.js';
import { startWorker, type Worker } from './workers/spawn.js';

const dir = tempDir();
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

describe('sqlite store across real processes', () => {
  it('admits exactly 50 of 4 processes × 250 concurrent $0.10 reservations against $5', async () => {
    const file = ledgerFile(dir);
    await sqliteStore({ file }).close(); // create and migrate once, as an installer would
    const workers = Array.from({ length: 4 }, (_, p) => start({ file, mode: 'reserve', tag: `p${p}`, count: 250, amount: '0.10', cap: '5', now: NOW, ttlMs: 60_000 }));
    for (const w of workers) expect(await w.next()).toEqual({ step: 'ready' });
    for (const w of workers) w.send('go');
    const admitted = (await Promise.all(workers.map((w) => w.next()))).map((m) => m.admitted as number);
    expect(admitted.reduce((a, b) => a + b, 0)).toBe(50);
    const store = sqliteStore({ file });
    const snap = await store.snapshot({ account: 'shared', now: NOW });
    expect([snap.held, snap.activeHolds]).toEqual([usd('5'), 50]);
    expect(await store.entries({ account: 'shared', kinds: ['hold'] })).toHaveLength(50);
    await store.close();
  });

  it('gets the funds of a SIGKILLed process back after the hold TTL, losing none of its settled charges', async () => {
    const file = ledgerFile(dir);
    const ttlMs = 30_000;
    const worker = start({ file, mode: 'crash', tag: 'dead', count: 20, amount: '0.25', cap: '5', now: NOW, ttlMs, settle: 6 });
    await worker.next();
    worker.send('go');
    const held = await worker.next();
    expect(held).toMatchObject({ step: 'held', admitted: 20 });
    worker.child.kill('SIGKILL');
    await worker.exited;

    const store = sqliteStore({ file });
    const during = await store.snapshot({ account: 'shared', now: NOW + ttlMs - 1 });
    expect(during).toMatchObject({ held: usd('3.50'), activeHolds: 14, settled: { lifetime: usd('1.50') } });
    const cap = [{ kind: 'cap' as const, name: 'shared budget', scope: 'lifetime', cap: usd('5') }];
    const placement = { scopes: [], day: '2026-11-23' };
    const blocked = await store.reserve({ account: 'shared', key: 'survivor-early', amount: usd('0.01'), ttlMs, now: NOW + ttlMs - 1, limits: cap, ...placement });
    expect(blocked.ok).toBe(false);

    const after = await store.snapshot({ account: 'shared', now: NOW + ttlMs });
    expect(after).toMatchObject({ held: 0, activeHolds: 0, settled: { lifetime: usd('1.50') } });
    const rest = await store.reserve({ account: 'shared', key: 'survivor', amount: usd('3.50'), ttlMs, now: NOW + ttlMs, limits: cap, ...placement });
    expect(rest.ok).toBe(true);

    const charges = await store.entries({ account: 'shared', kinds: ['charge'] });
    expect(charges.map((e) => (e.kind === 'charge' ? e.record.key : '')).sort()).toEqual((held.settled as string[]).sort());
    expect(charges.reduce((s, e) => s + (e.kind === 'charge' ? e.record.cost : 0), 0)).toBe(after.settled.lifetime);
    // A late settle of a dead process's expired hold still records the true cost, once.
    expect((await store.settle({ account: 'shared', key: 'dead-10', cost: usd('0.20'), now: NOW + ttlMs + 5 })).status).toBe('settled');
    expect((await store.settle({ account: 'shared', key: 'dead-10', cost: usd('0.20'), now: NOW + ttlMs + 6 })).status).toBe('duplicate');
    expect((await store.snapshot({ account: 'shared', now: NOW + ttlMs + 6 })).settled.lifetime).toBe(usd('1.70'));
    await store.close();
  });

  it('tells watchers about another process\'s reservations with origin remote', async () => {
    const file = ledgerFile(dir);
    const store = sqliteStore({ file, watchIntervalMs: 10 });
    const seen: LedgerChange[] = [];
    const stop = store.watch((change) => seen.push(change));
    const worker = start({ file, mode: 'reserve', tag: 'other', count: 3, amount: '1', cap: '5', now: NOW, ttlMs: 60_000 });
    await worker.next();
    worker.send('go');
    expect(await worker.next()).toMatchObject({ admitted: 3 });
    while (seen.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    expect(seen).toEqual([0, 1, 2].map((i) => ({ account: 'shared', kind: 'reserve', key: `other-${i}`, origin: 'remote' })));
    await store.close();
  });
});
