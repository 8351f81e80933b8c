import { DrawdownError, ErrorCodes } from '@drawdown/core';
import { pragmaValue, prepareValue, type Database } from './driver.js';

/** Marks a file as a drawdown ledger (`PRAGMA application_id`), so we never adopt someone else's database. */
export const APPLICATION_ID = 0x64726477; // "drdw"

/**
 * Versioned migrations, applied in order inside one write transaction. `PRAGMA user_version`
 * records the last one applied. Never edit a released migration: add the next one.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE accounts (
        account TEXT PRIMARY KEY,
        overdraft INTEGER NOT NULL DEFAULT 0,
        has_grants INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;

      CREATE TABLE holds (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        amount INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('held', 'settled', 'released')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        scopes TEXT NOT NULL,
        day TEXT NOT NULL,
        meta TEXT NOT NULL,
        PRIMARY KEY (account, key)
      ) WITHOUT ROWID;
      -- Active holds are a range of this index (state = 'held' AND expires_at > now): expired and
      -- settled holds are never read, however many there are.
      CREATE INDEX holds_active ON holds (account, state, expires_at, amount);

      CREATE TABLE charges (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        cost INTEGER NOT NULL,
        held INTEGER NOT NULL,
        settled_at INTEGER NOT NULL,
        day TEXT NOT NULL,
        overdraft INTEGER NOT NULL,
        model TEXT,
        route TEXT,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        meta TEXT NOT NULL,
        PRIMARY KEY (account, key)
      ) WITHOUT ROWID;
      CREATE INDEX charges_by_day ON charges (day);

      -- One row per grant a charge drew from, in drawdown order.
      CREATE TABLE allocations (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        grant_id TEXT NOT NULL,
        amount INTEGER NOT NULL,
        PRIMARY KEY (account, key, seq)
      ) WITHOUT ROWID;

      CREATE TABLE grants (
        account TEXT NOT NULL,
        grant_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('paid', 'promotional')),
        priority INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        remaining INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        source TEXT,
        PRIMARY KEY (account, grant_id)
      ) WITHOUT ROWID;
      CREATE INDEX grants_with_funds ON grants (account) WHERE remaining > 0;

      -- Settled spend per (account, scope): snapshots read these instead of summing charges.
      CREATE TABLE rollups (
        account TEXT NOT NULL,
        scope TEXT NOT NULL,
        settled INTEGER NOT NULL,
        PRIMARY KEY (account, scope)
      ) WITHOUT ROWID;

      CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;

      -- Every change, tagged with the store object that wrote it, so watchers in other processes
      -- can say what changed. Pruned to recent rows by the writers.
      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY, -- rowid alias: prunes delete only old rows, so seq never goes back
        writer TEXT NOT NULL,
        account TEXT,
        kind TEXT NOT NULL,
        key TEXT
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- Rate-limit counters (requests, tokens per minute) per fixed window; old windows are pruned
      -- by the writers, so the table holds about one row per counter.
      CREATE TABLE rate_windows (
        name TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (name, window_start)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    sql: `
      -- Limit accounts held with a hold (JSON array of account ids; NULL when none): its settle and
      -- release settle and release their holds too (see ReserveInput.limitAccounts).
      ALTER TABLE holds ADD COLUMN limit_accounts TEXT;
    `,
  },
  {
    version: 4,
    sql: `
      -- Spend per account and hour (LedgerStore.spendByHour), kept by a trigger so that every
      -- writer of charges keeps it: forecasts read a week of hours instead of every charge.
      CREATE TABLE spend_hours (
        account TEXT NOT NULL,
        hour INTEGER NOT NULL,
        charges INTEGER NOT NULL,
        cost INTEGER NOT NULL,
        first_at INTEGER NOT NULL,
        first_cost INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        cost_ms REAL NOT NULL,
        PRIMARY KEY (account, hour)
      ) WITHOUT ROWID;

      CREATE TRIGGER charges_spend_hours AFTER INSERT ON charges WHEN NEW.cost > 0 BEGIN
        INSERT INTO spend_hours (account, hour, charges, cost, first_at, first_cost, last_at, cost_ms)
        VALUES (NEW.account, NEW.settled_at - NEW.settled_at % 3600000, 1, NEW.cost, NEW.settled_at, NEW.cost,
          NEW.settled_at, NEW.cost * 1.0 * (NEW.settled_at % 3600000))
        ON CONFLICT (account, hour) DO UPDATE SET
          charges = charges + 1,
          cost = cost + excluded.cost,
          first_at = min(first_at, excluded.first_at),
          first_cost = CASE WHEN excluded.first_at < first_at THEN excluded.first_cost ELSE first_cost END,
          last_at = max(last_at, excluded.last_at),
          cost_ms = cost_ms + excluded.cost_ms;
      END;

      -- The charges recorded before this version, counted the same way.
      INSERT INTO spend_hours (account, hour, charges, cost, first_at, first_cost, last_at, cost_ms)
      SELECT account, hour, count(*), sum(cost), min(settled_at), sum(CASE WHEN nth = 1 THEN cost ELSE 0 END),
        max(settled_at), sum(cost * 1.0 * (settled_at - hour))
      FROM (
        SELECT account, cost, settled_at, settled_at - settled_at % 3600000 AS hour,
          row_number() OVER (PARTITION BY account, settled_at - settled_at % 3600000 ORDER BY settled_at, key) AS nth
        FROM charges WHERE cost > 0
      )
      GROUP BY account, hour;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const incompatible = (file: string, message: string, data: Record<string, unknown> = {}): DrawdownError =>
  new DrawdownError(ErrorCodes.STORE_INCOMPATIBLE, message, { data: { store: 'sqlite', file, ...data } });

/**
 * Reads the file's identity and version without writing anything, and refuses files this version
 * must not touch: another application's database, a ledger from a newer drawdown, and — unless
 * this process has just created the file (`created`) — a file with no drawdown schema at all,
 * such as a ledger truncated to 0 bytes: initialising it would hand out spent budgets again.
 * Returns the version found (0 only for a file this process created).
 */
export function checkCompatible(db: Database, file: string, created = false): number {
  const version = pragmaValue(db, 'user_version') as number;
  const applicationId = pragmaValue(db, 'application_id') as number;
  const objects = prepareValue(db, 'SELECT count(*) FROM sqlite_master').get() as number;
  if (applicationId !== APPLICATION_ID && (applicationId !== 0 || objects > 0 || version !== 0)) {
    throw incompatible(
      file,
      `${file} is a SQLite database of another application (application_id ${applicationId}), not a drawdown ledger; it was left untouched. Point DRAWDOWN_DB at a drawdown ledger or a new file.`,
      { applicationId },
    );
  }
  if (version > SCHEMA_VERSION) {
    throw incompatible(
      file,
      `the drawdown ledger at ${file} has schema version ${version}, newer than this drawdown understands (${SCHEMA_VERSION}); it was left untouched. Upgrade drawdown to use it.`,
      { version, supported: SCHEMA_VERSION },
    );
  }
  if (version === 0 && !created) {
    throw incompatible(
      file,
      `${file} exists but holds no drawdown ledger (it is empty or was never initialised; a truncated ledger looks like this), so it was refused and left untouched: starting a fresh ledger there would forget what was spent. Restore the ledger from a backup, or delete the file if it really should start empty.`,
      { version },
    );
  }
  return version;
}

/** Applies pending migrations in one IMMEDIATE transaction; several processes may race here safely. */
export function migrate(db: Database, file: string, created = false): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const version = checkCompatible(db, file, created);
    if (version < SCHEMA_VERSION) {
      for (const migration of MIGRATIONS) if (migration.version > version) db.exec(migration.sql);
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
