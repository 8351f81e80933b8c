import type pg from 'pg';
import { DrawdownError, ErrorCodes } from '@drawdown/core';
import { MIGRATIONS, migrationSql, SCHEMA_VERSION } from './migrations.js';

const incompatible = (schema: string, message: string, data: Record<string, unknown> = {}): DrawdownError =>
  new DrawdownError(ErrorCodes.STORE_INCOMPATIBLE, message, { data: { store: 'postgres', schema, ...data } });

/**
 * Brings `schema` to the current version in one transaction, under an advisory lock so hosts
 * starting together migrate once. A schema from a newer drawdown, or one that holds tables but
 * no drawdown version table, is refused before anything is written.
 */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`drawdown:migrate:${schema}`]);
    const { rows } = await client.query<{ versions: string | null; tables: number }>(
      `SELECT to_regclass(format('%I.schema_migrations', $1::text)) IS NOT NULL AS versions,
              (SELECT count(*)::int FROM pg_tables WHERE schemaname = $1) AS tables`,
      [schema],
    );
    const hasVersions = rows[0]!.versions as unknown as boolean;
    let version = 0;
    if (hasVersions) {
      const found = await client.query<{ v: number | null }>(
        `SELECT max(version) AS v FROM "${schema}".schema_migrations`,
      );
      version = found.rows[0]!.v ?? 0;
    } else if (rows[0]!.tables > 0) {
      throw incompatible(
        schema,
        `PostgreSQL schema "${schema}" holds tables but no drawdown version table, so it is not a drawdown ledger; it was left untouched. Pass another schema.`,
      );
    }
    if (version > SCHEMA_VERSION) {
      throw incompatible(
        schema,
        `the drawdown ledger in PostgreSQL schema "${schema}" has schema version ${version}, newer than this drawdown understands (${SCHEMA_VERSION}); it was left untouched. Upgrade drawdown on this host.`,
        {
          version,
          supported: SCHEMA_VERSION,
        },
      );
    }
    if (version < SCHEMA_VERSION) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${schema}".schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const migration of MIGRATIONS) {
        if (migration.version <= version) continue;
        await client.query(migrationSql(migration.sql, schema));
        await client.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES ($1)`, [migration.version]);
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
