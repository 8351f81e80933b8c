import pg from 'pg';
import { afterAll, describe } from 'vitest';
import { postgresAvailable, postgresUrl as url } from '../../../test-support/services.js';

export { url };
export const SKIP_MESSAGE = 'PostgreSQL tests skipped (see above)';
export const available = await postgresAvailable('the PostgreSQL store tests');

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
