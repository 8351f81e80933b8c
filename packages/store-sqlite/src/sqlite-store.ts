import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DrawdownError, ErrorCodes, type LedgerStore, type OptionProblem } from '@drawdown/core';
import { throwFirstProblem } from '@drawdown/core/internal';
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

/**
 * Every problem of the options (empty when they are fine): `sqliteStore` throws the first, a
 * configuration's `store` section reports them all.
 */
export function sqliteStoreOptionProblems(options: unknown): OptionProblem[] {
  if (options === null || typeof options !== 'object')
    return [
      { field: 'options', problem: 'must be an object', fix: 'Pass { file: "/path/to/ledger.sqlite" } or nothing.' },
    ];
  const { file, busyTimeoutMs, watchIntervalMs, readonly, maxBatch, durability } = options as Record<string, unknown>;
  const problems: OptionProblem[] = [];
  const problem = (field: string, value: unknown, fix: string): void =>
    void problems.push({
      field,
      problem: `is ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`,
      fix,
    });
  if (file !== undefined && (typeof file !== 'string' || file.trim() === ''))
    problem('file', file, 'Use a file path such as "./ledger.sqlite".');
  if (busyTimeoutMs !== undefined && !(Number.isSafeInteger(busyTimeoutMs) && (busyTimeoutMs as number) >= 0))
    problem('busyTimeoutMs', busyTimeoutMs, 'Use a whole number of milliseconds, like 5000.');
  if (watchIntervalMs !== undefined && !(Number.isSafeInteger(watchIntervalMs) && (watchIntervalMs as number) > 0))
    problem('watchIntervalMs', watchIntervalMs, 'Use a positive number of milliseconds, like 250.');
  if (readonly !== undefined && typeof readonly !== 'boolean') problem('readonly', readonly, 'Use true or false.');
  if (
    maxBatch !== undefined &&
    !(Number.isSafeInteger(maxBatch) && (maxBatch as number) >= 1 && (maxBatch as number) <= 10_000)
  )
    problem('maxBatch', maxBatch, 'Use a whole number from 1 (no grouping) to 10000, like 256.');
  if (durability !== undefined && durability !== 'full' && durability !== 'relaxed')
    problem(
      'durability',
      durability,
      "Use 'full' (every acknowledged write is on disk) or 'relaxed' (faster; a power cut can lose the last writes).",
    );
  return problems;
}

function validate(options: SqliteStoreOptions): Required<SqliteStoreOptions> {
  throwFirstProblem(OWNER, sqliteStoreOptionProblems(options));
  return {
    file: options.file ?? (process.env.DRAWDOWN_DB || defaultDatabasePath()),
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    watchIntervalMs: options.watchIntervalMs ?? 250,
    readonly: options.readonly ?? false,
    maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
    durability: options.durability ?? 'full',
  };
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
