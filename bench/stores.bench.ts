import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { budget, calendarWindow, createHub, silentLogger, usd, type LedgerStore } from '@drawdown/core';
import { sqliteStore } from '../packages/store-sqlite/src/index.js';
import { postgresStore } from '../packages/store-postgres/src/index.js';
import { percentile, round, sampleMicros, type Bench, type BenchRow } from './lib.js';
import { seedSettledCharges } from './seed-ledger.js';

// pg is a dependency of the store package, not of the workspace root: load it from there.
// Typed here by the little the bench uses, since its type package is not visible from the root.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
const pg = createRequire(new URL('../packages/store-postgres/package.json', import.meta.url))('pg') as {
  Pool: new (config: object) => { end(): Promise<void> };
  Client: new (config: object) => PgClient;
};

const NOW = Date.parse('2026-11-23T12:00:00Z');
const SCOPES = (['day', 'week', 'month'] as const).map((p) => calendarWindow(p, NOW, 'UTC').key);
const charge = (account: string, key: string) => ({
  account,
  key,
  cost: usd('0.0123'),
  now: NOW,
  scopes: SCOPES,
  day: '2026-11-23',
  meta: { model: 'claude-sonnet-4-5', route: 'trial', inputTokens: 1200, outputTokens: 350 },
});

/** Settled charges per second, `inFlight` requests at a time from one process. */
async function settleRate(store: LedgerStore, count: number, inFlight: number, accounts: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        await store.settle(charge(`pool-${i % accounts}`, `rate-${i}`));
      }
    }),
  );
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function sqliteRows(dir: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const store = sqliteStore({ file: join(dir, 'rate.sqlite') });
  const grouped = await settleRate(store, 100_000, 64, 16);
  rows.push({
    name: 'settled charges/s, one process, 16 accounts, 64 in flight (sqlite)',
    value: Math.round(grouped),
    unit: '/s',
    aim: '≥ 20,000/s',
    note: "group commit, durability 'full' (default): every settle answered after an fsync of the WAL off the event loop; settle without hold, 4 rollup scopes",
  });
  const oneAtATime = await settleRate(store, 30_000, 1, 1);
  rows.push({
    name: 'settled charges/s, one process, one at a time (sqlite)',
    value: Math.round(oneAtATime),
    unit: '/s',
    note: "each answered before the next is called: one transaction and one WAL fsync per settle; durability 'full'",
  });
  // The same 64 in flight without waiting for fsync: what durability 'full' costs on this disk.
  const relaxed = sqliteStore({ file: join(dir, 'rate-relaxed.sqlite'), durability: 'relaxed' });
  const unsynced = await settleRate(relaxed, 100_000, 64, 16);
  await relaxed.close();
  rows.push({
    name: "settled charges/s, 64 in flight, durability 'relaxed' (sqlite)",
    value: Math.round(unsynced),
    unit: '/s',
    note: 'synchronous=NORMAL: a power cut can roll back the last commits',
  });
  // The same 64 in flight with group commit off: every settle pays its own lock and commit.
  const single = sqliteStore({ file: join(dir, 'rate-single.sqlite'), maxBatch: 1 });
  const unbatched = await settleRate(single, 30_000, 64, 16);
  await single.close();
  rows.push({
    name: 'settled charges/s, 64 in flight, maxBatch 1 (sqlite)',
    value: Math.round(unbatched),
    unit: '/s',
    note: 'group commit off: one transaction per settle',
  });

  let i = 0;
  const cap = [{ kind: 'cap' as const, name: 'bench', scope: 'lifetime', cap: usd('1000000') }];
  const pair = await sampleMicros(
    async () => {
      const key = `pair-${i++}`;
      await store.reserve({
        account: 'pairs',
        key,
        amount: usd('0.05'),
        ttlMs: 60_000,
        now: NOW,
        limits: cap,
        scopes: SCOPES,
        day: '2026-11-23',
      });
      await store.settle({ account: 'pairs', key, cost: usd('0.0123'), now: NOW });
    },
    20_000,
    2_000,
  );
  rows.push({ name: 'reserve+settle (sqlite) p50', value: round(percentile(pair, 50)), unit: 'µs' });
  rows.push({ name: 'reserve+settle (sqlite) p99', value: round(percentile(pair, 99)), unit: 'µs' });
  await store.close();

  const big = join(dir, 'million.sqlite');
  await sqliteStore({ file: big }).close();
  const started = Date.now();
  seedSettledCharges(big, { account: 'seeded', pairs: 500_000, cost: usd('0.001'), now: NOW });
  const seeded = sqliteStore({ file: big });
  const snap = await sampleMicros(
    () => seeded.snapshot({ account: 'seeded', now: NOW, scopes: SCOPES }),
    20_000,
    2_000,
  );
  rows.push({
    name: 'snapshot() with 1,000,000 ledger entries (sqlite) p99',
    value: round(percentile(snap, 99)),
    unit: 'µs',
    aim: '≤ 1,000 µs',
    note: `500k holds + 500k charges, seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  });
  const hub = await createHub({
    store: seeded,
    logger: silentLogger,
    plugins: [budget({ id: 'seeded', amount: '1000000', period: 'lifetime' })],
  });
  const pool = hub.pool('seeded');
  const status = await sampleMicros(() => pool.status(), 20_000, 2_000);
  rows.push({
    name: 'budget pool status() with 1,000,000 ledger entries (sqlite) p99',
    value: round(percentile(status, 99)),
    unit: 'µs',
    aim: '≤ 1,000 µs',
  });
  await hub.close();
  await seeded.close();
  return rows;
}

async function postgresRows(): Promise<BenchRow[]> {
  const url = process.env.DRAWDOWN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `drawdown_bench_${process.pid}`;
  let store: LedgerStore;
  try {
    store = await postgresStore({ connectionString: url, schema, listen: false });
  } catch (error) {
    return [
      {
        name: 'settled charges/s (postgres)',
        value: 0,
        unit: '/s',
        aim: '≥ 5,000/s',
        note: `PostgreSQL unavailable, not measured: ${(error as Error).message.slice(0, 120)}`,
      },
    ];
  }
  try {
    await settleRate(store, 2_000, 16, 16); // warm up connections and plans
    const one = await settleRate(store, 10_000, 16, 1);
    const sixteen = await settleRate(store, 20_000, 16, 16);
    const sixtyFour = await settleRate(store, 20_000, 64, 16);
    // The same store with group commit off: every settle pays its own commit, as before it existed.
    const single = await postgresStore({ connectionString: url, schema, listen: false, maxBatch: 1 });
    const unbatched = await settleRate(single, 4_000, 16, 16);
    await single.close();
    // Commits that do not wait for the server's fsync: shows how much of the figures is the disk
    // (diagnostic only; a server crash could lose the last ~0.6 s of commits).
    const asyncPool = new pg.Pool({ connectionString: url, max: 16, options: '-c synchronous_commit=off' });
    const unsynced = await postgresStore({ pool: asyncPool as never, schema, listen: false });
    const fast = await settleRate(unsynced, 20_000, 16, 16);
    await unsynced.close();
    await asyncPool.end();
    return [
      {
        name: 'settled charges/s, one process, 16 accounts, 16 in flight (postgres)',
        value: Math.round(sixteen),
        unit: '/s',
        aim: '≥ 5,000/s',
        note: 'group commit: concurrent settles share one transaction',
      },
      {
        name: 'settled charges/s, one process, 16 accounts, 64 in flight (postgres)',
        value: Math.round(sixtyFour),
        unit: '/s',
        aim: '≥ 10,000/s',
        note: 'group commit, batches of up to 64, one NOTIFY per transaction',
      },
      {
        name: 'settled charges/s, one process, one account, 16 in flight (postgres)',
        value: Math.round(one),
        unit: '/s',
        note: 'one account: every settle waits for the row lock in turn',
      },
      {
        name: 'settled charges/s, 16 in flight, maxBatch 1 (postgres)',
        value: Math.round(unbatched),
        unit: '/s',
        note: 'group commit off: one commit per settle (the old behaviour)',
      },
      {
        name: 'settled charges/s, 16 in flight, synchronous_commit=off (postgres)',
        value: Math.round(fast),
        unit: '/s',
        note: 'diagnostic: commits not waiting for fsync',
      },
    ];
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

/** Ledger stores: SQLite throughput, latency and status cost at 1M entries; PostgreSQL throughput. */
export default (async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drawdown-bench-'));
  // DRAWDOWN_BENCH_STORES=sqlite or =postgres measures one store only.
  const only = process.env.DRAWDOWN_BENCH_STORES;
  try {
    return [...(only === 'postgres' ? [] : await sqliteRows(dir)), ...(only === 'sqlite' ? [] : await postgresRows())];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}) satisfies Bench;
