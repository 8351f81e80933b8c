import pg from 'pg';
import { usd, type LedgerChange } from '@drawdown/core';
import { expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { MIGRATIONS, migrationSql, SCHEMA_VERSION } from '../src/migrations.js';
import { describePostgres, uniqueSchema, url } from './postgres.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Everything in a schema, as text, to prove a refused schema was not modified. */
const dump = (schema: string) =>
  admin(async (c) => {
    const tables = await c.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 ORDER BY 1`,
      [schema],
    );
    const out: string[] = [];
    for (const { t } of tables.rows)
      out.push(t, JSON.stringify((await c.query(`SELECT * FROM "${schema}"."${t}" ORDER BY 1`)).rows));
    return out.join('\n');
  });

it.each([
  [{ schema: 'Bad-Name', connectionString: url }, 'schema'],
  [{ listen: 'yes' as unknown as boolean, connectionString: url }, 'listen'],
  [{ connectionString: 'mysql://nope' }, 'connectionString'],
  [{ pool: {} as pg.Pool }, 'pool'],
  [{ maxBatch: 0, connectionString: url }, 'maxBatch'],
  [{ maxBatch: 1001, connectionString: url }, 'maxBatch'],
  [{ maxBatch: 1.5, connectionString: url }, 'maxBatch'],
])('postgresStore refuses option %o naming the field', async (options, field) => {
  await expect(postgresStore(options)).rejects.toMatchObject({ code: 'DRAWDOWN_INVALID_OPTION', data: { field } });
});

it('never echoes a connection string that may hold a password', async () => {
  const error = await postgresStore({ connectionString: 'postgresql-ish://user:s3cret@host/db' }).catch(
    (e: Error) => e,
  );
  expect(String((error as Error).message)).not.toContain('s3cret');
});

it('fails closed with DRAWDOWN_STORE_UNAVAILABLE when the server is unreachable', async () => {
  await expect(
    postgresStore({ connectionString: 'postgres://postgres:s3cret@127.0.0.1:1/test', schema: 'nowhere' }),
  ).rejects.toMatchObject({
    code: 'DRAWDOWN_STORE_UNAVAILABLE',
    message: expect.not.stringContaining('s3cret'),
  });
});

describePostgres('postgres schema migrations and watching', () => {
  it('refuses a ledger from a newer drawdown and leaves the schema untouched', async () => {
    const schema = uniqueSchema();
    const store = await postgresStore({ connectionString: url, schema, listen: false });
    await store.settle({ account: 'a', key: 'k', cost: usd('1'), now: NOW, scopes: [], day: '2026-11-23' });
    await store.close();
    await admin((c) =>
      c.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES ($1)`, [SCHEMA_VERSION + 1]),
    );
    const before = await dump(schema);
    await expect(postgresStore({ connectionString: url, schema })).rejects.toMatchObject({
      code: 'DRAWDOWN_STORE_INCOMPATIBLE',
      data: { version: SCHEMA_VERSION + 1 },
    });
    expect(await dump(schema)).toBe(before);
  });

  it("refuses a schema holding another application's tables and leaves it untouched", async () => {
    const schema = uniqueSchema();
    await admin((c) =>
      c.query(
        `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".notes (body text); INSERT INTO "${schema}".notes VALUES ('keep me')`,
      ),
    );
    const before = await dump(schema);
    await expect(postgresStore({ connectionString: url, schema })).rejects.toMatchObject({
      code: 'DRAWDOWN_STORE_INCOMPATIBLE',
      message: expect.stringContaining('not a drawdown ledger'),
    });
    expect(await dump(schema)).toBe(before);
  });

  it('migrates once when several hosts open a new schema at the same time', async () => {
    const schema = uniqueSchema();
    const stores = await Promise.all(
      Array.from({ length: 4 }, () => postgresStore({ connectionString: url, schema, listen: false })),
    );
    const versions = await admin((c) => c.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`));
    expect(versions.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    for (const s of stores) await s.close();
  });

  it('upgrades a version-1 ledger in place, keeping its charges and settling through group commit afterwards', async () => {
    const schema = uniqueSchema();
    await admin(async (c) => {
      await c.query(
        `CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      await c.query(migrationSql(MIGRATIONS[0]!.sql, schema));
      await c.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES (1)`);
      await c.query(`SELECT "${schema}".settle('old-host', 'a', 'before', 1000, $1, '{}', '{}', '2026-11-23')`, [NOW]);
      await c.query(`SELECT "${schema}".settle('old-host', 'a', 'later', 3000, $1, '{}', '{}', '2026-11-23')`, [
        NOW + 100,
      ]);
    });
    const store = await postgresStore({ connectionString: url, schema, listen: false });
    const after = await store.settle({
      account: 'a',
      key: 'after',
      cost: 500,
      now: NOW,
      scopes: [],
      day: '2026-11-23',
    });
    expect(after).toMatchObject({ status: 'settled', totals: { lifetime: 4500 } });
    expect(
      (await store.entries({ account: 'a', kinds: ['charge'] })).map((e) => (e.record as { key: string }).key).sort(),
    ).toEqual(['after', 'before', 'later']);
    // The charges from before the upgrade are counted per hour too.
    expect(await store.spendByHour({ account: 'a', since: NOW - 1 })).toEqual([
      { start: NOW, charges: 3, cost: 4500, firstAt: NOW, firstCost: 1000, lastAt: NOW + 100, costMs: 300_000 },
    ]);
    await store.close();
  });

  it('works on a pool the caller owns, and leaves that pool open on close', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const store = await postgresStore({ pool, schema: uniqueSchema(), listen: false });
    await store.setState('k', { v: 1 });
    expect(await store.getState('k')).toEqual({ v: 1 });
    await store.close();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });

  it("does not report other hosts' changes when listen is false", async () => {
    const schema = uniqueSchema();
    const quiet = await postgresStore({ connectionString: url, schema, listen: false });
    const loud = await postgresStore({ connectionString: url, schema });
    const seenByLoud: LedgerChange[] = [];
    const seenByQuiet: LedgerChange[] = [];
    loud.watch((c) => seenByLoud.push(c));
    quiet.watch((c) => seenByQuiet.push(c));
    await quiet.setState('first', 1);
    const other = await postgresStore({ connectionString: url, schema, listen: false });
    await other.setState('second', 2);
    while (seenByLoud.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seenByLoud.map((c) => `${c.key}:${c.origin}`)).toEqual(['first:remote', 'second:remote']);
    expect(seenByQuiet.map((c) => `${c.key}:${c.origin}`)).toEqual(['first:local']);
    for (const s of [quiet, loud, other]) await s.close();
  });
});
