import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { usd, type LedgerStore, type Limit } from '@drawdown/core';
import { afterEach, describe, expect, it } from 'vitest';
import { placement, T0 } from './store-fixtures.js';
import type { StoreWorkerArgs } from './store-worker.js';

// The test side of the multi-process contract: starts worker scripts (each calls `runStoreWorker`
// from `@drawdown/testkit/store-worker`) as real processes and races them for one ledger.

/** A running worker process and its line protocol. */
export interface StoreWorker {
  child: ChildProcess;
  /** The next JSON line the worker prints; rejects with its stderr if it exits first. */
  next(): Promise<Record<string, unknown>>;
  send(line: string): void;
  exited: Promise<number | null>;
}

/** Starts a TypeScript worker script as a real child process (`node --conditions=drawdown-source --import tsx`). */
export function startStoreWorker(script: string, args: StoreWorkerArgs, options: SpawnOptions = {}): StoreWorker {
  const child = spawn(
    process.execPath,
    ['--conditions=drawdown-source', '--import', 'tsx', script, JSON.stringify(args)],
    { stdio: ['pipe', 'pipe', 'pipe'], ...options },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const pending: Array<Record<string, unknown>> = [];
  const waiting: Array<(value: Record<string, unknown>) => void> = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const failed = exited.then((code) => {
    throw new Error(`worker exited with ${code} before answering: ${stderr}`);
  });
  failed.catch(() => {});
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    const resolve = waiting.shift();
    if (resolve) resolve(message);
    else pending.push(message);
  });
  return {
    child,
    next: () =>
      pending.length > 0
        ? Promise.resolve(pending.shift()!)
        : Promise.race([new Promise<Record<string, unknown>>((r) => waiting.push(r)), failed]),
    send: (line) => void child.stdin!.write(`${line}\n`),
    exited,
  };
}

export interface StoreProcessOptions {
  /**
   * Path of the worker script: it calls `runStoreWorker` (from `@drawdown/testkit/store-worker`)
   * with this store's `open`.
   */
  worker: string;
  /** A fresh shared ledger: the `config` workers open it with, and how the test opens it. */
  prepare(): Promise<{ config: unknown; open(): Promise<LedgerStore> }>;
}

/**
 * The invariants that need real processes: no overspend when several processes race for the
 * same cap, and a SIGKILLed process leaks no funds and loses no settled charge.
 */
export function describeStoreAcrossProcesses(name: string, options: StoreProcessOptions): void {
  describe(`${name} store across real processes`, () => {
    const started: StoreWorker[] = [];
    afterEach(() => {
      for (const w of started.splice(0)) w.child.kill('SIGKILL');
    });
    const start = (args: StoreWorkerArgs): StoreWorker => {
      const worker = startStoreWorker(options.worker, args);
      started.push(worker);
      return worker;
    };

    /** 4 processes × 250 concurrent $0.10 reservations against a $5 cap, started at once; resolves with the admitted total. */
    const race = async (mode: 'reserve' | 'levels', open: () => Promise<LedgerStore>, config: unknown) => {
      await (await open()).close(); // create and migrate once, as an installer would
      const workers = Array.from({ length: 4 }, (_, p) =>
        start({ config, mode, tag: `${mode[0]}${p}`, count: 250, amount: '0.10', cap: '5', now: T0, ttlMs: 60_000 }),
      );
      for (const w of workers) expect(await w.next()).toEqual({ step: 'ready' });
      for (const w of workers) w.send('go');
      const admitted = (await Promise.all(workers.map((w) => w.next()))).map((m) => m.admitted as number);
      return admitted.reduce((a, b) => a + b, 0);
    };

    it('admits exactly 50 of 4 processes × 250 concurrent $0.10 reservations against $5', async () => {
      const { config, open } = await options.prepare();
      expect(await race('reserve', open, config)).toBe(50);
      const store = await open();
      expect(await store.snapshot({ account: 'shared', now: T0 })).toMatchObject({ held: usd('5'), activeHolds: 50 });
      expect(await store.entries({ account: 'shared', kinds: ['hold'] })).toHaveLength(50);
      await store.close();
    }, 60_000);

    it('admits exactly 137 of 4 processes × 100 concurrent counts against a rate limit of 137', async () => {
      const { config, open } = await options.prepare();
      await (await open()).close();
      const workers = Array.from({ length: 4 }, (_, p) =>
        start({ config, mode: 'count', tag: `p${p}`, count: 100, amount: '0', cap: '137', now: T0, ttlMs: 60_000 }),
      );
      for (const w of workers) expect(await w.next()).toEqual({ step: 'ready' });
      for (const w of workers) w.send('go');
      const admitted = (await Promise.all(workers.map((w) => w.next()))).map((m) => m.admitted as number);
      expect(admitted.reduce((a, b) => a + b, 0)).toBe(137);
      const store = await open();
      expect(
        await store.countInWindow({ counters: [{ name: 'shared:rpm', amount: 0 }], windowMs: 60_000, now: T0 }),
      ).toMatchObject({ counts: [137] });
      await store.close();
    }, 60_000);

    it('admits exactly 50 of 4 processes × 250 concurrent $0.10 reservations, each on its own pool, under one $5 level', async () => {
      const { config, open } = await options.prepare();
      expect(await race('levels', open, config)).toBe(50);
      const store = await open();
      expect(await store.snapshot({ account: 'shared', now: T0 })).toMatchObject({ held: usd('5'), activeHolds: 50 });
      const pools = await Promise.all([0, 1, 2, 3].map((p) => store.snapshot({ account: `pool-l${p}`, now: T0 })));
      expect(pools.reduce((s, p) => s + p.held, 0)).toBe(usd('5'));
      await store.close();
    }, 60_000);

    it('gets the funds of a SIGKILLed process back after the hold TTL, losing none of its settled charges', async () => {
      const { config, open } = await options.prepare();
      const ttlMs = 30_000;
      const worker = start({
        config,
        mode: 'crash',
        tag: 'dead',
        count: 20,
        amount: '0.25',
        cap: '5',
        now: T0,
        ttlMs,
        settle: 6,
      });
      await worker.next();
      worker.send('go');
      const held = await worker.next();
      expect(held).toMatchObject({ step: 'held', admitted: 20 });
      worker.child.kill('SIGKILL');
      await worker.exited;

      const store = await open();
      expect(await store.snapshot({ account: 'shared', now: T0 + ttlMs - 1 })).toMatchObject({
        held: usd('3.50'),
        activeHolds: 14,
        settled: { lifetime: usd('1.50') },
      });
      const limits: Limit[] = [{ kind: 'cap', name: 'shared budget', scope: 'lifetime', cap: usd('5') }];
      const early = await store.reserve({
        account: 'shared',
        key: 'early',
        amount: usd('0.01'),
        ttlMs,
        now: T0 + ttlMs - 1,
        limits,
        ...placement(T0),
      });
      expect(early.ok).toBe(false);
      const after = await store.snapshot({ account: 'shared', now: T0 + ttlMs });
      expect(after).toMatchObject({ held: 0, activeHolds: 0, settled: { lifetime: usd('1.50') } });
      expect(
        (
          await store.reserve({
            account: 'shared',
            key: 'survivor',
            amount: usd('3.50'),
            ttlMs,
            now: T0 + ttlMs,
            limits,
            ...placement(T0),
          })
        ).ok,
      ).toBe(true);

      const charges = await store.entries({ account: 'shared', kinds: ['charge'] });
      expect(charges.map((e) => (e.kind === 'charge' ? e.record.key : '')).sort()).toEqual(
        (held.settled as string[]).sort(),
      );
      expect(charges.reduce((s, e) => s + (e.kind === 'charge' ? e.record.cost : 0), 0)).toBe(after.settled.lifetime);
      // A late settle of the dead process's expired hold still records the true cost, once.
      expect(
        (await store.settle({ account: 'shared', key: 'dead-10', cost: usd('0.20'), now: T0 + ttlMs + 5 })).status,
      ).toBe('settled');
      expect(
        (await store.settle({ account: 'shared', key: 'dead-10', cost: usd('0.20'), now: T0 + ttlMs + 6 })).status,
      ).toBe('duplicate');
      expect((await store.snapshot({ account: 'shared', now: T0 + ttlMs + 6 })).settled.lifetime).toBe(usd('1.70'));
      await store.close();
    }, 60_000);
  });
}
