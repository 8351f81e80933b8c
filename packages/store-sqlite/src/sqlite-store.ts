import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { DrawdownError, ErrorCodes, invalidOption, type LedgerStore } from '@drawdown/core';
import { defaultDatabasePath } from './default-path.js';
import { storeError } from './errors.js';
import { DEFAULT_MAX_BATCH, sqliteLedger } from './ledger.js';
import { checkCompatible, migrate, SCHEMA_VERSION } from './schema.js';

export interface SqliteStoreOptions {
  /** The ledger file. Default: `DRAWDOWN_DB`, else `defaultDatabasePath()`. `:memory:` for a throwaway ledger. */
  file?: string;
  /** How long a request waits for another process's write lock before failing closed. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** How often `watch()` checks for changes other processes made. Default 250 ms. */
  watchIntervalMs?: number;
  /** Open for reading only (status, reports); every write fails with DRAWDOWN_STORE_UNAVAILABLE. */
  readonly?: boolean;
  /**
   * Most writes committed in one transaction. Writes called in the same event-loop turn share one
   * `BEGIN IMMEDIATE` … `COMMIT` (group commit); `1` commits every write on its own. Default 256.
   */
  maxBatch?: number;
}

const OWNER = 'sqliteStore';

function validate(options: SqliteStoreOptions): Required<SqliteStoreOptions> {
  if (options === null || typeof options !== 'object') throw invalidOption(OWNER, 'options', 'must be an object', 'Pass { file: "/path/to/ledger.sqlite" } or nothing.');
  const file = options.file ?? (process.env.DRAWDOWN_DB || defaultDatabasePath());
  if (typeof file !== 'string' || file.trim() === '') throw invalidOption(OWNER, 'file', `is ${JSON.stringify(options.file)}`, 'Use a file path such as "./ledger.sqlite".');
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw invalidOption(OWNER, 'busyTimeoutMs', `is ${String(busyTimeoutMs)}`, 'Use a whole number of milliseconds, like 5000.');
  const watchIntervalMs = options.watchIntervalMs ?? 250;
  if (!Number.isSafeInteger(watchIntervalMs) || watchIntervalMs <= 0) throw invalidOption(OWNER, 'watchIntervalMs', `is ${String(watchIntervalMs)}`, 'Use a positive number of milliseconds, like 250.');
  const readonly = options.readonly ?? false;
  if (typeof readonly !== 'boolean') throw invalidOption(OWNER, 'readonly', `is ${JSON.stringify(readonly)}`, 'Use true or false.');
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1 || maxBatch > 10_000) {
    throw invalidOption(OWNER, 'maxBatch', `is ${JSON.stringify(maxBatch)}`, 'Use a whole number from 1 (no grouping) to 10000, like 256.');
  }
  return { file, busyTimeoutMs, watchIntervalMs, readonly, maxBatch };
}

/**
 * The embedded durable ledger: one SQLite file (WAL mode) shared safely by every process of one
 * user on one machine. Opens (and creates or migrates) the file synchronously. A file from a newer
 * drawdown, another application's database or a corrupt file is refused with
 * DRAWDOWN_STORE_INCOMPATIBLE and left byte-for-byte untouched; a file that cannot be written
 * (read-only, full disk) makes every request fail closed with DRAWDOWN_STORE_UNAVAILABLE.
 */
export function sqliteStore(options: SqliteStoreOptions = {}): LedgerStore {
  const { file, busyTimeoutMs, watchIntervalMs, readonly, maxBatch } = validate(options);
  let db: Database.Database | undefined;
  try {
    if (!readonly && file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    db = new Database(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
    // Identity and version are read before anything could write to the file.
    const version = checkCompatible(db, file);
    if (readonly) {
      if (version < SCHEMA_VERSION) {
        throw new DrawdownError(ErrorCodes.STORE_INCOMPATIBLE, `the drawdown ledger at ${file} has schema version ${version} and needs an upgrade to ${SCHEMA_VERSION}, which a read-only store cannot do. Open it once without readonly.`, {
          data: { store: 'sqlite', file, version, supported: SCHEMA_VERSION },
        });
      }
    } else {
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL never corrupts and loses nothing when a process dies; only an OS crash
      // or power loss can roll back the last commits. That is what buys 20,000+ charges a second.
      db.pragma('synchronous = NORMAL');
      // Checkpoints are where NORMAL pays for fsync: run them every ~40 MB of WAL instead of ~4 MB,
      // and cut the WAL file back afterwards so it does not stay large.
      db.pragma('wal_autocheckpoint = 10000');
      db.pragma('journal_size_limit = 67108864');
      // A current file needs no write to open, so a read-only file still serves reads.
      if (version < SCHEMA_VERSION) migrate(db, file);
    }
  } catch (error) {
    db?.close();
    throw storeError(error, file, 'opening the ledger');
  }
  return sqliteLedger(db, { file, readonly, watchIntervalMs, maxBatch });
}
