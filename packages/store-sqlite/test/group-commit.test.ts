import { usd, type LedgerChange, type LedgerStore } from '@drawdown/core';
import { describe, expect, it } from 'vitest';
import { openDatabase, pragmaValue, type Database } from '../src/driver.js';
import { sqliteStore } from '../src/index.js';
import { sqliteLedger } from '../src/ledger.js';
import { migrate } from '../src/schema.js';
import { ledgerFile, tempDir } from './helpers.js';

const dir = tempDir();
const NOW = Date.parse('2026-11-23T12:00:00Z');
const DAY = 'day:2026-11-23@UTC';
const settleInput = (key: string, cost = usd('1'), meta: Record<string, unknown> = {}) => ({
  account: 'shared',
  key,
  cost,
  now: NOW,
  scopes: [DAY],
  day: '2026-11-23',
  meta,
});
const cap = (amount: string) => [{ kind: 'cap' as const, name: 'trial', scope: 'lifetime', cap: usd(amount) }];
const reserveInput = (key: string, amount: string, limit: string) => ({
  account: 'shared',
  key,
  amount: usd(amount),
  ttlMs: 60_000,
  now: NOW,
  limits: cap(limit),
  scopes: [DAY],
  day: '2026-11-23',
});

function watched(store: LedgerStore): LedgerChange[] {
  const seen: LedgerChange[] = [];
  store.watch((change) => seen.push(change));
  return seen;
}

/** A ledger on a connection the test also holds, to add a trigger or limit the file's size. */
function ledgerOnOwnConnection(maxBatch?: number): { db: Database; store: LedgerStore } {
  const file = ledgerFile(dir);
  const db = openDatabase(file);
  db.exec('PRAGMA journal_mode = WAL');
  migrate(db, file, true);
  return {
    db,
    store: sqliteLedger(db, {
      file,
      readonly: false,
      watchIntervalMs: 250,
      ...(maxBatch !== undefined && { maxBatch }),
    }),
  };
}

/**
 * Makes the COMMIT of any transaction that settled the key `poison` fail: a deferred foreign key
 * is only checked at COMMIT, after every statement of the transaction succeeded.
 */
function poisonCommits(db: Database): void {
  db.exec('PRAGMA foreign_keys = ON');
  db.exec(`
    CREATE TABLE poison_parent (id INTEGER PRIMARY KEY);
    CREATE TABLE poison_child (parent INTEGER REFERENCES poison_parent (id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TRIGGER poison AFTER INSERT ON charges WHEN NEW.key = 'poison' BEGIN INSERT INTO poison_child VALUES (1); END;
  `);
}

const settledKeys = async (store: LedgerStore): Promise<string[]> =>
  (await store.entries({ account: 'shared', kinds: ['charge'] }))
    .flatMap((e) => (e.kind === 'charge' ? [e.record.key] : []))
    .sort();

describe('sqlite group commit: writes called in the same turn share one transaction', () => {
  it('answers each caller of a batch with its own result, applying the calls in call order', async () => {
    const store = sqliteStore({ file: ledgerFile(dir) });
    await store.settle(settleInput('dup'));
    const seen = watched(store);

    const calls = [
      store.reserve(reserveInput('r1', '3', '5')), // $4 of $5 left: admitted
      store.reserve(reserveInput('r2', '2', '5')), // r1 now holds $3 of it: refused
      store.settle(settleInput('dup')),
      store.settle(settleInput('new', usd('0.5'))),
      store.release({ account: 'shared', key: 'r1', now: NOW }),
    ] as const;
    expect(seen).toEqual([]); // nothing is announced before the commit
    const [r1, r2, dup, fresh, released] = await Promise.all(calls);

    expect(r1).toMatchObject({ ok: true, replayed: false, hold: { key: 'r1', amount: usd('3') } });
    expect(r2).toEqual({ ok: false, account: 'shared', limit: 'trial', available: usd('1'), requested: usd('2') });
    expect(dup).toMatchObject({ status: 'duplicate', charge: { key: 'dup', cost: usd('1') } });
    expect(fresh).toMatchObject({
      status: 'settled',
      charge: { key: 'new', cost: usd('0.5') },
      totals: { lifetime: usd('1.5'), [DAY]: usd('1.5') },
    });
    expect(released).toEqual({ status: 'released', amount: usd('3') });
    expect(seen).toEqual([
      { account: 'shared', kind: 'reserve', key: 'r1', origin: 'local' },
      { account: 'shared', kind: 'settle', key: 'new', origin: 'local' },
      { account: 'shared', kind: 'release', key: 'r1', origin: 'local' },
    ]);
    const snap = await store.snapshot({ account: 'shared', now: NOW });
    expect(snap).toMatchObject({ held: 0, activeHolds: 0, settled: { lifetime: usd('1.5') } });
    await store.close();
  });

  it('undoes an item that throws and fails only its caller; the rest of the batch is recorded', async () => {
    const store = sqliteStore({ file: ledgerFile(dir) });
    await store.addGrant({ account: 'shared', grantId: 'g1', kind: 'paid', amount: usd('10'), now: NOW });
    const seen = watched(store);

    // A model that is not a string cannot be stored: it throws after the grant was already drawn.
    const [a, bad, b] = await Promise.allSettled([
      store.settle(settleInput('a')),
      store.settle(settleInput('bad', usd('2'), { model: { not: 'a string' } })),
      store.settle(settleInput('b')),
    ]);

    expect(a).toMatchObject({ status: 'fulfilled', value: { status: 'settled' } });
    expect(b).toMatchObject({ status: 'fulfilled', value: { status: 'settled', totals: { lifetime: usd('2') } } });
    expect(bad).toMatchObject({
      status: 'rejected',
      reason: { code: 'DRAWDOWN_STORE_UNAVAILABLE', message: expect.stringContaining('while settling a charge') },
    });
    expect(await settledKeys(store)).toEqual(['a', 'b']);
    const snap = await store.snapshot({ account: 'shared', now: NOW });
    expect(snap).toMatchObject({ settled: { lifetime: usd('2') }, granted: usd('8'), overdraft: 0 });
    expect(seen.map((c) => c.key)).toEqual(['a', 'b']);

    expect(await store.settle(settleInput('bad', usd('2')))).toMatchObject({
      status: 'settled',
      totals: { lifetime: usd('4') },
    });
    expect((await store.snapshot({ account: 'shared', now: NOW })).granted).toBe(usd('6'));
    await store.close();
  });

  it('rejects every caller of a batch whose COMMIT fails with the same DRAWDOWN_STORE_UNAVAILABLE, records nothing, and records each once on retry', async () => {
    const { db, store } = ledgerOnOwnConnection();
    poisonCommits(db);
    const seen = watched(store);

    const outcomes = await Promise.allSettled(['a', 'poison', 'b'].map((key) => store.settle(settleInput(key))));
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value));
    expect(reasons[0]).toMatchObject({
      code: 'DRAWDOWN_STORE_UNAVAILABLE',
      message: expect.stringContaining('Nothing was recorded'),
      data: { store: 'sqlite', sqliteCode: expect.stringMatching(/^SQLITE_CONSTRAINT/) },
    });
    expect(reasons[1]).toBe(reasons[0]);
    expect(reasons[2]).toBe(reasons[0]);
    expect(db.isTransaction).toBe(false);
    expect(await settledKeys(store)).toEqual([]);
    expect((await store.snapshot({ account: 'shared', now: NOW })).settled.lifetime).toBe(0);
    expect(seen).toEqual([]);

    db.exec('DROP TRIGGER poison');
    const retried = await Promise.all(['a', 'poison', 'b'].map((key) => store.settle(settleInput(key))));
    expect(retried.map((r) => r.status)).toEqual(['settled', 'settled', 'settled']);
    const again = await Promise.all(['a', 'poison', 'b'].map((key) => store.settle(settleInput(key))));
    expect(again.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(await settledKeys(store)).toEqual(['a', 'b', 'poison']);
    expect((await store.snapshot({ account: 'shared', now: NOW })).settled.lifetime).toBe(usd('3'));
    expect(seen.map((c) => c.key)).toEqual(['a', 'poison', 'b']);
    await store.close();
  });

  it('rejects every write when the disk is full with the disk-full error, records nothing of it, and records each once after space returns', async () => {
    const { db, store } = ledgerOnOwnConnection();
    // No free pages left over from creating the schema: every write must grow the file.
    db.exec('VACUUM');
    const pages = pragmaValue(db, 'page_count') as number;
    db.exec(`PRAGMA max_page_count = ${pages}`); // the file may not grow: a stand-in for a full disk
    const meta = { model: 'claude-opus-4-7', route: 'x'.repeat(2000) };
    const keys = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const seen = watched(store);

    const outcomes = await Promise.allSettled(keys.map((key) => store.settle(settleInput(key, usd('0.01'), meta))));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const first = (outcomes[0] as PromiseRejectedResult).reason;
    expect(first).toMatchObject({
      code: 'DRAWDOWN_STORE_UNAVAILABLE',
      message: expect.stringContaining('disk is full'),
      data: { sqliteCode: 'SQLITE_FULL' },
    });
    for (const outcome of outcomes)
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({
        code: 'DRAWDOWN_STORE_UNAVAILABLE',
        data: { sqliteCode: 'SQLITE_FULL' },
      });
    expect(await settledKeys(store)).toEqual([]);
    expect((await store.snapshot({ account: 'shared', now: NOW, scopes: [DAY] })).settled).toEqual({
      lifetime: 0,
      [DAY]: 0,
    });
    expect(seen).toEqual([]);

    db.exec('PRAGMA max_page_count = 1000000');
    const retried = await Promise.all(keys.map((key) => store.settle(settleInput(key, usd('0.01'), meta))));
    expect(retried.every((r) => r.status === 'settled')).toBe(true);
    const again = await Promise.all(keys.map((key) => store.settle(settleInput(key, usd('0.01'), meta))));
    expect(again.every((r) => r.status === 'duplicate')).toBe(true);
    expect(await settledKeys(store)).toEqual([...keys].sort());
    expect((await store.snapshot({ account: 'shared', now: NOW, scopes: [DAY] })).settled).toEqual({
      lifetime: usd('0.4'),
      [DAY]: usd('0.4'),
    });
    expect(seen).toHaveLength(40);
    await store.close();
  });

  it('rejects every caller of a batch with the same DRAWDOWN_STORE_UNAVAILABLE while another connection holds the lock beyond the busy timeout', async () => {
    const file = ledgerFile(dir);
    const store = sqliteStore({ file, busyTimeoutMs: 20 });
    const other = openDatabase(file);
    other.exec('BEGIN IMMEDIATE');
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((key) => store.settle(settleInput(key))));
    other.exec('ROLLBACK');
    other.close();
    const first = (outcomes[0] as PromiseRejectedResult).reason;
    expect(first).toMatchObject({
      code: 'DRAWDOWN_STORE_UNAVAILABLE',
      message: expect.stringContaining('busy timeout'),
      data: { sqliteCode: expect.stringMatching(/^SQLITE_BUSY/) },
    });
    for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toBe(first);
    expect(await settledKeys(store)).toEqual([]);
    const retried = await Promise.all(['a', 'b', 'c'].map((key) => store.settle(settleInput(key))));
    expect(retried.map((r) => r.status)).toEqual(['settled', 'settled', 'settled']);
    await store.close();
  });

  it('commits every write in its own transaction with maxBatch 1, so a failing commit fails only its own caller', async () => {
    const { db, store } = ledgerOnOwnConnection(1);
    poisonCommits(db);
    const outcomes = await Promise.allSettled(['a', 'poison', 'b'].map((key) => store.settle(settleInput(key))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      code: 'DRAWDOWN_STORE_UNAVAILABLE',
      data: { sqliteCode: expect.stringMatching(/^SQLITE_CONSTRAINT/) },
    });
    expect(await settledKeys(store)).toEqual(['a', 'b']);
    await store.close();
  });

  it('puts at most maxBatch writes in one transaction', async () => {
    const { db, store } = ledgerOnOwnConnection(2);
    poisonCommits(db);
    // Batches [a, poison] and [b, c]: only the poisoned one fails.
    const outcomes = await Promise.allSettled(['a', 'poison', 'b', 'c'].map((key) => store.settle(settleInput(key))));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(await settledKeys(store)).toEqual(['b', 'c']);
    await store.close();
  });

  it('announces in call order when a watcher writes and reads while a batch is being announced', async () => {
    const store = sqliteStore({ file: ledgerFile(dir) });
    const seen: string[] = [];
    const fromWatcher: Array<Promise<unknown>> = [];
    store.watch((change) => {
      seen.push(change.key!);
      if (change.key !== 'a') return;
      fromWatcher.push(store.settle(settleInput('from-watcher')), store.snapshot({ account: 'shared', now: NOW }));
    });
    await Promise.all([store.settle(settleInput('a')), store.settle(settleInput('b'))]);
    await Promise.all(fromWatcher);
    expect(seen).toEqual(['a', 'b', 'from-watcher']);
    expect(await settledKeys(store)).toEqual(['a', 'b', 'from-watcher']);
    await store.close();
  });

  it('lets a read see every write called before it in the same turn', async () => {
    const store = sqliteStore({ file: ledgerFile(dir) });
    const settling = store.settle(settleInput('k'));
    const snap = await store.snapshot({ account: 'shared', now: NOW });
    expect(snap.settled.lifetime).toBe(usd('1'));
    expect(await settling).toMatchObject({ status: 'settled' });
    await store.close();
  });

  it('records the writes called before close() instead of dropping them', async () => {
    const file = ledgerFile(dir);
    const store = sqliteStore({ file });
    const settling = store.settle(settleInput('k'));
    await store.close();
    expect(await settling).toMatchObject({ status: 'settled' });
    const reopened = sqliteStore({ file });
    expect(await settledKeys(reopened)).toEqual(['k']);
    await reopened.close();
  });
});
