import { DatabaseSync } from 'node:sqlite';

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
  const db = new DatabaseSync(file, { timeout: 5_000 });
  const rows = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'changes' AND name NOT LIKE 'sqlite_%'")
    .all();
  const tables = rows.map((row) => row.name as string);
  for (const table of tables) db.exec(`CREATE TEMP TABLE "saved_${table}" AS SELECT * FROM main."${table}"`);
  const restore = (): void => {
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const table of tables)
        db.exec(`DELETE FROM main."${table}"; INSERT INTO main."${table}" SELECT * FROM temp."saved_${table}";`);
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  };
  return { restore, close: () => db.close() };
}
