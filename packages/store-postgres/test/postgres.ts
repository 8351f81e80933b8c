import pg from 'pg';
import { afterAll, describe } from 'vitest';

/** The test server: `DRAWDOWN_TEST_POSTGRES_URL`, default the local trust-auth server. */
export const url = process.env.DRAWDOWN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SKIP_MESSAGE =
  'PostgreSQL tests skipped: start PostgreSQL on 127.0.0.1:5432 or set DRAWDOWN_TEST_POSTGRES_URL (CI sets DRAWDOWN_REQUIRE_POSTGRES=1 and fails instead)';

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export const available = await reachable();
if (!available && process.env.DRAWDOWN_REQUIRE_POSTGRES) {
  throw new Error(
    `DRAWDOWN_REQUIRE_POSTGRES is set but PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} is unreachable; start it (see .ci/run) or unset DRAWDOWN_REQUIRE_POSTGRES.`,
  );
}

if (!available) process.stderr.write(`\n${SKIP_MESSAGE}\n\n`);

/** `describe` when PostgreSQL is reachable; otherwise a visible skipped block that says how to enable it. */
export const describePostgres = (name: string, body: () => void): void => {
  if (available) describe(name, body);
  else describe.skip(`${SKIP_MESSAGE} — ${name}`, body);
};

let counter = 0;
const created: string[] = [];
/** A schema name unique to this run and call; dropped after the file's tests. */
export function uniqueSchema(): string {
  const schema = `drawdown_t${process.pid}_${Date.now().toString(36)}_${++counter}`;
  created.push(schema);
  return schema;
}

/** Drops a schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  if (!available) return;
  for (const schema of created.splice(0)) await dropSchema(schema);
});
