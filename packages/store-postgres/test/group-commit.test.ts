import pg from 'pg';
import { usd, type Limit } from '@drawdown/core';
import { expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { describePostgres, uniqueSchema, url } from './postgres.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const DAY = { scopes: [], day: '2026-11-23' };
const cap = (amount: string): Limit[] => [{ kind: 'cap', name: 'trial budget', scope: 'lifetime', cap: usd(amount) }];

/** A real pool that records how many ledger transactions (apply_batch calls) reached the server. */
function countingPool(): { pool: pg.Pool; batches: () => number } {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  let batches = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('apply_batch')) batches++;
    return query(...args);
  }) as typeof pool.query;
  return { pool, batches: () => batches };
}

describePostgres('postgres group commit', () => {
  it('answers every caller of one shared transaction with its own result when one reservation in it is refused', async () => {
    const { pool, batches } = countingPool();
    const store = await postgresStore({ pool, schema: uniqueSchema(), listen: false });
    await store.settle({ account: 'trial', key: 'earlier', cost: usd('1'), now: NOW, ...DAY });
    const before = batches();
    const reserve = (key: string, amount: string) =>
      store.reserve({ account: 'trial', key, amount: usd(amount), ttlMs: 60_000, now: NOW, limits: cap('5'), ...DAY });
    const [admitted, refused, other, settled, duplicate, released, missing] = await Promise.all([
      reserve('big', '3'),
      reserve('too-big', '3'),
      store.reserve({
        account: 'other',
        key: 'o',
        amount: usd('3'),
        ttlMs: 60_000,
        now: NOW,
        limits: cap('5'),
        ...DAY,
      }),
      store.settle({ account: 'trial', key: 'fresh', cost: usd('0.5'), now: NOW, ...DAY }),
      store.settle({ account: 'trial', key: 'earlier', cost: usd('9'), now: NOW, ...DAY }),
      store.release({ account: 'other', key: 'o', now: NOW }),
      store.release({ account: 'trial', key: 'never-held', now: NOW }),
    ]);
    expect(batches() - before).toBe(1);
    expect(admitted).toMatchObject({ ok: true, replayed: false, hold: { key: 'big', amount: usd('3') } });
    // $1 settled + $3 held leaves $1; the settle of $0.50 queued behind it does not change that.
    expect(refused).toEqual({
      ok: false,
      account: 'trial',
      limit: 'trial budget',
      available: usd('1'),
      requested: usd('3'),
    });
    expect(other).toMatchObject({ ok: true, hold: { account: 'other' } });
    expect(settled).toMatchObject({
      status: 'settled',
      charge: { key: 'fresh', cost: usd('0.5') },
      totals: { lifetime: usd('1.5') },
    });
    expect(duplicate).toMatchObject({ status: 'duplicate', charge: { key: 'earlier', cost: usd('1') } });
    // Same account as the reservation above it, so applied after it in call order.
    expect(released).toEqual({ status: 'released', amount: usd('3') });
    expect(missing).toEqual({ status: 'not_found', amount: 0 });
    const snapshot = await store.snapshot({ account: 'trial', now: NOW });
    expect(snapshot).toMatchObject({ held: usd('3'), activeHolds: 1, settled: { lifetime: usd('1.5') } });
    await store.close();
    await pool.end();
  });

  it('fails only the caller whose change the database rejects; the others sent with it commit once', async () => {
    const { pool, batches } = countingPool();
    const store = await postgresStore({ pool, schema: uniqueSchema(), listen: false });
    const before = batches();
    const settle = (key: string, cost: number) => store.settle({ account: 'trial', key, cost, now: NOW, ...DAY });
    // 2^64 does not fit a bigint column: the transaction is refused, then each item applied alone.
    const outcomes = await Promise.allSettled([
      settle('a', usd('1')),
      settle('overflow', 2 ** 64),
      settle('b', usd('2')),
    ]);
    expect(batches() - before).toBe(1 + 3); // the refused shared transaction, then one per item
    expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { status: 'settled' } });
    expect(outcomes[1]).toMatchObject({
      status: 'rejected',
      reason: { code: 'DRAWDOWN_STORE_UNAVAILABLE', data: { pgCode: '22003' } },
    });
    expect(outcomes[2]).toMatchObject({ status: 'fulfilled', value: { status: 'settled' } });
    expect(
      (await store.entries({ account: 'trial', kinds: ['charge'] }))
        .map((e) => (e.record as { key: string }).key)
        .sort(),
    ).toEqual(['a', 'b']);
    expect((await store.snapshot({ account: 'trial', now: NOW })).settled.lifetime).toBe(usd('3'));
    await store.close();
    await pool.end();
  });

  it('still records the others once when one caller sends text PostgreSQL refuses for the whole transaction', async () => {
    const store = await postgresStore({ connectionString: url, schema: uniqueSchema(), listen: false });
    const settle = (key: string) => store.settle({ account: 'trial', key, cost: usd('1'), now: NOW, ...DAY });
    // A NUL character cannot be stored in PostgreSQL text: the whole batch is refused, then retried item by item.
    const outcomes = await Promise.allSettled([settle('a'), settle('bad\u0000key'), settle('b')]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(outcomes[1]).toMatchObject({ reason: { code: 'DRAWDOWN_STORE_UNAVAILABLE' } });
    expect(
      (await store.entries({ account: 'trial', kinds: ['charge'] }))
        .map((e) => (e.record as { key: string }).key)
        .sort(),
    ).toEqual(['a', 'b']);
    expect((await store.snapshot({ account: 'trial', now: NOW })).settled.lifetime).toBe(usd('2'));
    await store.close();
  });

  it('gives every call its own transaction when maxBatch is 1', async () => {
    const { pool, batches } = countingPool();
    const store = await postgresStore({ pool, schema: uniqueSchema(), listen: false, maxBatch: 1 });
    const before = batches();
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        store.settle({ account: 'trial', key: `k${i}`, cost: usd('1'), now: NOW, ...DAY }),
      ),
    );
    expect(batches() - before).toBe(5);
    await store.close();
    await pool.end();
  });

  it('answers calls accepted before close() instead of dropping them', async () => {
    const store = await postgresStore({ connectionString: url, schema: uniqueSchema(), listen: false });
    const pending = Array.from({ length: 20 }, (_, i) =>
      store.settle({ account: 'trial', key: `k${i}`, cost: usd('1'), now: NOW, ...DAY }),
    );
    await store.close();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.status === 'settled')).toBe(true);
    await expect(store.settle({ account: 'trial', key: 'late', cost: 1, now: NOW, ...DAY })).rejects.toMatchObject({
      code: 'DRAWDOWN_STORE_UNAVAILABLE',
    });
  });
});
