import { usd } from '@drawdown/core';
import { startStoreWorker } from '@drawdown/testkit/store-contract';
import { describe, expect, it } from 'vitest';
import { pragmaValue } from '../src/driver.js';
import { sqliteStore } from '../src/index.js';
import { openLedgerDatabase, type SqliteStoreOptions } from '../src/sqlite-store.js';
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

describe('sqlite durability', () => {
  it('waits for fsync on every commit by default: WAL with synchronous = FULL (2)', () => {
    const db = opened({});
    expect(pragmaValue(db, 'journal_mode')).toBe('wal');
    expect(pragmaValue(db, 'synchronous')).toBe(2);
    db.close();
  });

  it("trades that for speed only when asked by name: durability 'relaxed' is synchronous = NORMAL (1)", () => {
    const db = opened({ durability: 'relaxed' });
    expect(pragmaValue(db, 'journal_mode')).toBe('wal');
    expect(pragmaValue(db, 'synchronous')).toBe(1);
    db.close();
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
