import { usd, type LedgerStore } from '@drawdown/core';
import { startStoreWorker } from '@drawdown/testkit/store-contract';
import { describe, expect, it } from 'vitest';
import { pragmaValue } from '../src/driver.js';
import { sqliteStore } from '../src/index.js';
import { sqliteLedger } from '../src/ledger.js';
import { openLedgerDatabase, type SqliteStoreOptions } from '../src/sqlite-store.js';
import { createWalSync } from '../src/wal-sync.js';
import { ledgerFile, tempDir } from './helpers.js';
import { WORKER } from './workers/worker-path.js';

const dir = tempDir();
const NOW = Date.parse('2026-11-23T12:00:00Z');
const opened = (options: Partial<Required<SqliteStoreOptions>>) =>
  openLedgerDatabase({
    file: ledgerFile(dir),
    busyTimeoutMs: 5000,
    watchIntervalMs: 250,
    readonly: false,
    maxBatch: 256,
    durability: 'full',
    ...options,
  });

const reserve = (store: LedgerStore, key: string) =>
  store.reserve({
    account: 'shared',
    key,
    amount: usd('0.05'),
    ttlMs: 60_000,
    now: NOW,
    limits: [],
    scopes: [],
    day: '2026-11-23',
  });

describe('sqlite durability', () => {
  it('commits to the WAL without SQLite flushing it inside COMMIT, for either durability (synchronous = NORMAL)', () => {
    for (const durability of ['full', 'relaxed'] as const) {
      const db = opened({ durability });
      expect(pragmaValue(db, 'journal_mode')).toBe('wal');
      expect(pragmaValue(db, 'synchronous')).toBe(1);
      db.close();
    }
  });

  it('answers a settle, a grant and a state write only after the WAL is flushed, and a hold or release at its commit', async () => {
    const file = ledgerFile(dir);
    const db = opened({ file });
    const flushes: Array<() => void> = [];
    const walSync = createWalSync(
      `${file}-wal`,
      ((_fd: number, done: (error: Error | null) => void) => void flushes.push(() => done(null))) as never,
    );
    const store = sqliteLedger(db, { file, readonly: false, watchIntervalMs: 250, walSync });
    const answered: string[] = [];
    const hold = reserve(store, 'h1').then(() => answered.push('reserve'));
    await hold;
    expect(answered).toEqual(['reserve']);
    expect(flushes).toHaveLength(0);

    const settled = store
      .settle({ account: 'shared', key: 'h1', cost: usd('0.01'), now: NOW })
      .then(() => answered.push('settle'));
    const granted = store
      .addGrant({ account: 'wallet', grantId: 'g1', amount: usd('5'), kind: 'paid', now: NOW })
      .then(() => answered.push('grant'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Committed and visible, but not answered: one flush covers both writes of the turn.
    expect((await store.snapshot({ account: 'shared', now: NOW })).settled.lifetime).toBe(usd('0.01'));
    expect(answered).toEqual(['reserve']);
    expect(flushes).toHaveLength(1);

    // A write committed while that flush runs waits for the next flush, not this one.
    const state = store.setState('k', 1).then(() => answered.push('state'));
    const released = reserve(store, 'h2')
      .then(() => store.release({ account: 'shared', key: 'h2', now: NOW }))
      .then(() => answered.push('release'));
    await released;
    expect(answered).toEqual(['reserve', 'release']);
    flushes.shift()!();
    await Promise.all([settled, granted]);
    expect(answered).toEqual(['reserve', 'release', 'settle', 'grant']);
    expect(flushes).toHaveLength(1);
    flushes.shift()!();
    await state;
    expect(answered.at(-1)).toBe('state');
    await store.close();
  });

  it('fails a durable write whose flush fails with a coded error that says it was recorded and a retry is safe', async () => {
    const file = ledgerFile(dir);
    const db = opened({ file });
    const walSync = createWalSync(`${file}-wal`, ((_fd: number, done: (error: Error | null) => void) =>
      done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))) as never);
    const store = sqliteLedger(db, { file, readonly: false, watchIntervalMs: 250, walSync });
    await expect(store.settle({ account: 'shared', key: 's1', cost: usd('0.01'), now: NOW })).rejects.toMatchObject({
      code: 'DRAWDOWN_STORE_UNAVAILABLE',
      data: { errno: 'EIO' },
      message: expect.stringContaining('charged once'),
    });
    expect((await store.snapshot({ account: 'shared', now: NOW })).settled.lifetime).toBe(usd('0.01'));
    await store.close();
  });

  it("flushes nothing itself when asked by name: durability 'relaxed'", async () => {
    const file = ledgerFile(dir);
    const store = sqliteStore({ file, durability: 'relaxed' });
    await store.settle({ account: 'shared', key: 's1', cost: usd('0.01'), now: NOW });
    await store.close();
  });

  it.each(['FULL', 'normal', 'off', 1, ''])('refuses durability %o naming the field and the choices', (durability) => {
    expect(() => sqliteStore({ file: ledgerFile(dir), durability: durability as never })).toThrow(
      expect.objectContaining({
        code: 'DRAWDOWN_INVALID_OPTION',
        data: expect.objectContaining({ field: 'durability' }),
        message: expect.stringContaining("'relaxed'"),
      }),
    );
  });

  it('keeps every settle a process was told succeeded when that process is killed with SIGKILL mid-stream', async () => {
    const file = ledgerFile(dir);
    const worker = startStoreWorker(WORKER, {
      config: { file },
      mode: 'settle-until-killed',
      tag: 'acked',
      count: 0,
      amount: '0.01',
      cap: '0',
      now: NOW,
      ttlMs: 0,
    });
    try {
      expect(await worker.next()).toEqual({ step: 'ready' });
      const acknowledged: string[] = [];
      while (acknowledged.length < 2_000) acknowledged.push((await worker.next()).key as string);
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBeNull(); // killed, not exited on its own
      const store = sqliteStore({ file });
      const recorded = new Set(
        (await store.entries({ account: 'shared', kinds: ['charge'] })).map(
          (e) => `${e.record.account}:${e.kind === 'charge' ? e.record.key : ''}`,
        ),
      );
      expect(acknowledged.filter((key) => !recorded.has(`shared:${key}`))).toEqual([]);
      expect(recorded.size).toBeGreaterThanOrEqual(acknowledged.length);
      const snap = await store.snapshot({ account: 'shared', now: NOW });
      expect(snap.settled.lifetime).toBe(usd('0.01') * recorded.size);
      await store.close();
    } finally {
      worker.child.kill('SIGKILL');
    }
  }, 90_000);
});
