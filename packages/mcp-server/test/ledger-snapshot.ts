import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The little of better-sqlite3 used here (it is the SQLite store's dependency, typed there). */
interface Statement {
  run(...params: unknown[]): unknown;
  pluck(): { all(): unknown[] };
}
interface Database {
  prepare(sql: string): Statement;
  transaction(fn: () => void): { immediate(): void };
  close(): void;
}

const storePackage = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '@drawdown', 'store-sqlite', 'package.json');
const Sqlite = createRequire(storePackage)('better-sqlite3') as new (file: string, options: { timeout: number }) => Database;

export interface LedgerSnapshot {
  /** Puts every ledger table back as it was when the snapshot was taken, in one transaction. */
  restore(): void;
  close(): void;
}

/**
 * Remembers a SQLite ledger's rows so tests sharing one server process can each start from the
 * same ledger. The change log is left alone: its sequence must only grow, and a restore is not a
 * change any server should announce.
 */
export function snapshotLedger(file: string): LedgerSnapshot {
  const db = new Sqlite(file, { timeout: 5_000 });
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'changes' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  for (const table of tables) db.prepare(`CREATE TEMP TABLE "saved_${table}" AS SELECT * FROM main."${table}"`).run();
  const restore = db.transaction(() => {
    for (const table of tables) {
      db.prepare(`DELETE FROM main."${table}"`).run();
      db.prepare(`INSERT INTO main."${table}" SELECT * FROM temp."saved_${table}"`).run();
    }
  });
  return { restore: () => restore.immediate(), close: () => db.close() };
}
