import pg from 'pg';
import { usd } from '@drawdown/core';
import { expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { describePostgres, uniqueSchema, url } from './postgres.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const DAY = { scopes: [], day: '2026-11-23' };

/** A real pool that keeps the text of every ledger transaction (apply_batch call) it sends. */
function recordingPool(): { pool: pg.Pool; sent: string[] } {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const sent: string[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('apply_batch')) sent.push(args[0]);
    return query(...args);
  }) as typeof pool.query;
  return { pool, sent };
}

describePostgres('postgres durableHolds', () => {
  it('by default commits holds and releases without waiting for the flush, visible to another host at once, and settles with it', async () => {
    const schema = uniqueSchema();
    const { pool, sent } = recordingPool();
    const store = await postgresStore({ pool, schema, listen: false });
    const other = await postgresStore({ connectionString: url, schema, listen: false });
    const hold = await store.reserve({
      account: 'trial',
      key: 'r1',
      amount: usd('2'),
      ttlMs: 60_000,
      now: NOW,
      limits: [{ kind: 'cap', name: 'trial budget', scope: 'lifetime', cap: usd('3') }],
      ...DAY,
    });
    expect(hold).toMatchObject({ ok: true });
    // Another host's reservation sees the hold the moment reserve() returned.
    expect(
      await other.reserve({
        account: 'trial',
        key: 'r2',
        amount: usd('2'),
        ttlMs: 60_000,
        now: NOW,
        limits: [{ kind: 'cap', name: 'trial budget', scope: 'lifetime', cap: usd('3') }],
        ...DAY,
      }),
    ).toMatchObject({ ok: false, available: usd('1') });
    await store.settle({ account: 'trial', key: 'r1', cost: usd('1'), now: NOW });
    await store.reserve({ account: 'trial', key: 'r3', amount: usd('1'), ttlMs: 60_000, now: NOW, limits: [], ...DAY });
    await store.release({ account: 'trial', key: 'r3', now: NOW });
    expect(sent.map((text) => text.includes("set_config('synchronous_commit', 'off', true)"))).toEqual([
      true,
      false,
      true,
      true,
    ]);
    expect((await other.snapshot({ account: 'trial', now: NOW })).settled.lifetime).toBe(usd('1'));
    await other.close();
    await store.close();
    await pool.end();
  });

  it('with durableHolds true waits for the flush of every hold, and refuses a durableHolds that is not a boolean', async () => {
    const { pool, sent } = recordingPool();
    const store = await postgresStore({ pool, schema: uniqueSchema(), listen: false, durableHolds: true });
    await store.reserve({ account: 'trial', key: 'r1', amount: usd('1'), ttlMs: 60_000, now: NOW, limits: [], ...DAY });
    expect(sent.some((text) => text.includes('synchronous_commit'))).toBe(false);
    await store.close();
    await pool.end();
    await expect(postgresStore({ connectionString: url, durableHolds: 'no' as never })).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_OPTION',
      data: expect.objectContaining({ field: 'durableHolds' }),
    });
  });
});
