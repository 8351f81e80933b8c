import type { LedgerChange } from '@drawdown/core';
import { describeStoreAcrossProcesses, startStoreWorker } from '@drawdown/testkit/store-contract';
import { expect, it } from 'vitest';
import { sqliteStore } from '../src/index.js';
import { ledgerFile, tempDir } from './helpers.js';
import { WORKER } from './workers/worker-path.js';

const dir = tempDir();
const NOW = Date.parse('2026-11-23T12:00:00Z');

describeStoreAcrossProcesses('sqlite', {
  worker: WORKER,
  prepare: async () => {
    const file = ledgerFile(dir);
    return { config: { file }, open: async () => sqliteStore({ file }) };
  },
});

it('lets 4 processes that start at once on a missing file create one ledger between them', async () => {
  const file = ledgerFile(dir);
  const workers = Array.from({ length: 4 }, (_, p) =>
    startStoreWorker(WORKER, {
      config: { file },
      mode: 'reserve',
      tag: `p${p}`,
      count: 50,
      amount: '0.10',
      cap: '5',
      now: NOW,
      ttlMs: 60_000,
    }),
  );
  try {
    for (const w of workers) expect(await w.next()).toEqual({ step: 'ready' });
    for (const w of workers) w.send('go');
    const admitted = (await Promise.all(workers.map((w) => w.next()))).map((m) => m.admitted as number);
    expect(admitted.reduce((a, b) => a + b, 0)).toBe(50);
    const store = sqliteStore({ file });
    expect(await store.snapshot({ account: 'shared', now: NOW })).toMatchObject({ activeHolds: 50 });
    await store.close();
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
  }
}, 60_000);

it("tells watchers about another process's reservations with origin remote", async () => {
  const file = ledgerFile(dir);
  const store = sqliteStore({ file, watchIntervalMs: 10 });
  const seen: LedgerChange[] = [];
  const stop = store.watch((change) => seen.push(change));
  const worker = startStoreWorker(WORKER, {
    config: { file },
    mode: 'reserve',
    tag: 'other',
    count: 3,
    amount: '1',
    cap: '5',
    now: NOW,
    ttlMs: 60_000,
  });
  await worker.next();
  worker.send('go');
  expect(await worker.next()).toMatchObject({ admitted: 3 });
  while (seen.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
  stop();
  expect(seen).toEqual(
    [0, 1, 2].map((i) => ({ account: 'shared', kind: 'reserve', key: `other-${i}`, origin: 'remote' })),
  );
  await store.close();
}, 60_000);
