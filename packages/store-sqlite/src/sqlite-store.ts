import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DrawdownError, ErrorCodes, invalidOption, type LedgerStore } from '@drawdown/core';
import { createLedger } from './create-ledger.js';
import { defaultDatabasePath } from './default-path.js';
import { openDatabase, type Database } from './driver.js';
import { storeError } from './errors.js';
import { DEFAULT_MAX_BATCH, sqliteLedger } from './ledger.js';
import { checkCompatible, migrate, SCHEMA_VERSION } from './schema.js';
import { createWalSync } from './wal-sync.js';

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
  /**
   * `'full'` (default): a settle, grant or state write that returned is on disk — it is answered
   * after an fsync of the WAL, run off the event loop and shared by every commit made before it —
   * so not even a power cut loses an acknowledged charge. Holds and releases are answered at their
   * commit (visible to every process at once; a hold lives no longer than its process anyway).
   * `'relaxed'`: nothing waits for fsync; a process crash still loses nothing, but a power cut or
   * OS crash can roll back the last commits.
   */
  durability?: Durability;
}

export type Durability = 'full' | 'relaxed';

const OWNER = 'sqliteStore';

function validate(options: SqliteStoreOptions): Required<SqliteStoreOptions> {
  if (options === null || typeof options !== 'object')
    throw invalidOption(OWNER, 'options', 'must be an object', 'Pass { file: "/path/to/ledger.sqlite" } or nothing.');
  const file = options.file ?? (process.env.DRAWDOWN_DB || defaultDatabasePath());
  if (typeof file !== 'string' || file.trim() === '')
    throw invalidOption(
      OWNER,
      'file',
      `is ${JSON.stringify(options.file)}`,
      'Use a file path such as "./ledger.sqlite".',
    );
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0)
    throw invalidOption(
      OWNER,
      'busyTimeoutMs',
      `is ${String(busyTimeoutMs)}`,
      'Use a whole number of milliseconds, like 5000.',
    );
  const watchIntervalMs = options.watchIntervalMs ?? 250;
  if (!Number.isSafeInteger(watchIntervalMs) || watchIntervalMs <= 0)
    throw invalidOption(
      OWNER,
      'watchIntervalMs',
      `is ${String(watchIntervalMs)}`,
      'Use a positive number of milliseconds, like 250.',
    );
  const readonly = options.readonly ?? false;
  if (typeof readonly !== 'boolean')
    throw invalidOption(OWNER, 'readonly', `is ${JSON.stringify(readonly)}`, 'Use true or false.');
  const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
  if (!Number.isSafeInteger(maxBatch) || maxBatch < 1 || maxBatch > 10_000) {
    throw invalidOption(
      OWNER,
      'maxBatch',
      `is ${JSON.stringify(maxBatch)}`,
      'Use a whole number from 1 (no grouping) to 10000, like 256.',
    );
  }
  const durability = options.durability ?? 'full';
  if (durability !== 'full' && durability !== 'relaxed') {
    throw invalidOption(
      OWNER,
      'durability',
      `is ${JSON.stringify(durability)}`,
      "Use 'full' (every acknowledged write is on disk) or 'relaxed' (faster; a power cut can lose the last writes).",
    );
  }
  return { file, busyTimeoutMs, watchIntervalMs, readonly, maxBatch, durability };
}

/**
 * Opens the ledger's connection: creates and initialises the file if it does not exist, refuses a
 * file it must not touch (see checkCompatible), migrates an older ledger, and sets WAL mode and
 * the durability. Exported for tests, which read the connection's settings back.
 */
export function openLedgerDatabase(options: Required<SqliteStoreOptions>): Database {
  const { file, busyTimeoutMs, readonly } = options;
  let db: Database | undefined;
  try {
    if (readonly) {
      db = openDatabase(file, { readOnly: true, timeout: busyTimeoutMs });
      const version = checkCompatible(db, file);
      if (version < SCHEMA_VERSION) {
        throw new DrawdownError(
          ErrorCodes.STORE_INCOMPATIBLE,
          `the drawdown ledger at ${file} has schema version ${version} and needs an upgrade to ${SCHEMA_VERSION}, which a read-only store cannot do. Open it once without readonly.`,
          {
            data: { store: 'sqlite', file, version, supported: SCHEMA_VERSION },
          },
        );
      }
      return db;
    }
    const memory = file === ':memory:';
    if (!memory) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      createLedger(file, busyTimeoutMs);
    }
    db = openDatabase(file, { timeout: busyTimeoutMs });
    // Identity and version are read before anything could write to the file.
    const version = checkCompatible(db, file, memory);
    db.exec('PRAGMA journal_mode = WAL');
    // COMMIT writes the WAL without flushing it, for either durability: with 'full' the store
    // flushes the WAL itself (createWalSync), off the event loop, before answering a durable write;
    // SQLite's own flush (synchronous = FULL) would block the event loop inside every COMMIT.
    db.exec('PRAGMA synchronous = NORMAL');
    // Checkpoints copy the WAL into the file and fsync it: run them every ~40 MB of WAL instead of
    // ~4 MB, and cut the WAL file back afterwards so it does not stay large.
    db.exec('PRAGMA wal_autocheckpoint = 10000');
    db.exec('PRAGMA journal_size_limit = 67108864');
    // A current file needs no write to open, so a read-only file still serves reads.
    if (version < SCHEMA_VERSION) migrate(db, file, memory);
    return db;
  } catch (error) {
    db?.close();
    throw storeError(error, file, 'opening the ledger');
  }
}

/**
 * The embedded durable ledger: one SQLite file (WAL mode) shared safely by every process of one
 * user on one machine, on Node's built-in SQLite. Opens (and creates or migrates) the file
 * synchronously. An empty file, a file from a newer drawdown, another application's database or
 * a corrupt file is refused with DRAWDOWN_STORE_INCOMPATIBLE and left byte-for-byte untouched; a
 * file that cannot be written (read-only, full disk) makes every request fail closed with
 * DRAWDOWN_STORE_UNAVAILABLE. A settle that returned is on disk unless `durability: 'relaxed'`.
 */
export function sqliteStore(options: SqliteStoreOptions = {}): LedgerStore {
  const validated = validate(options);
  const db = openLedgerDatabase(validated);
  const { file, readonly, watchIntervalMs, maxBatch, durability } = validated;
  // A :memory: ledger has no file to flush.
  const flushes = durability === 'full' && !readonly && file !== ':memory:';
  return sqliteLedger(db, {
    file,
    readonly,
    watchIntervalMs,
    maxBatch,
    ...(flushes && { walSync: createWalSync(`${file}-wal`) }),
  });
}
