import { DrawdownError, ErrorCodes } from '@drawdown/core';

/** SQLite's primary result codes by number (https://sqlite.org/rescode.html). */
const PRIMARY = [
  'OK',
  'ERROR',
  'INTERNAL',
  'PERM',
  'ABORT',
  'BUSY',
  'LOCKED',
  'NOMEM',
  'READONLY',
  'INTERRUPT',
  'IOERR',
  'CORRUPT',
  'NOTFOUND',
  'FULL',
  'CANTOPEN',
  'PROTOCOL',
  'EMPTY',
  'SCHEMA',
  'TOOBIG',
  'CONSTRAINT',
  'MISMATCH',
  'MISUSE',
  'NOLFS',
  'AUTH',
  'FORMAT',
  'RANGE',
  'NOTADB',
];

/** The extended codes worth naming in an error's data; the others are named by their primary code. */
const EXTENDED: Record<number, string> = {
  261: 'BUSY_RECOVERY',
  517: 'BUSY_SNAPSHOT',
  773: 'BUSY_TIMEOUT',
  262: 'LOCKED_SHAREDCACHE',
  264: 'READONLY_RECOVERY',
  520: 'READONLY_CANTLOCK',
  776: 'READONLY_ROLLBACK',
  1032: 'READONLY_DBMOVED',
  1288: 'READONLY_CANTINIT',
  1544: 'READONLY_DIRECTORY',
  266: 'IOERR_READ',
  522: 'IOERR_SHORT_READ',
  778: 'IOERR_WRITE',
  1034: 'IOERR_FSYNC',
  1290: 'IOERR_DIR_FSYNC',
  1546: 'IOERR_TRUNCATE',
  3850: 'IOERR_LOCK',
  4874: 'IOERR_SHMOPEN',
  5898: 'IOERR_SHMMAP',
  267: 'CORRUPT_VTAB',
  523: 'CORRUPT_SEQUENCE',
  779: 'CORRUPT_INDEX',
  270: 'CANTOPEN_NOTEMPDIR',
  526: 'CANTOPEN_ISDIR',
  782: 'CANTOPEN_FULLPATH',
  275: 'CONSTRAINT_CHECK',
  531: 'CONSTRAINT_COMMITHOOK',
  787: 'CONSTRAINT_FOREIGNKEY',
  1043: 'CONSTRAINT_FUNCTION',
  1299: 'CONSTRAINT_NOTNULL',
  1555: 'CONSTRAINT_PRIMARYKEY',
  1811: 'CONSTRAINT_TRIGGER',
  2067: 'CONSTRAINT_UNIQUE',
};

/** The SQLite result code of a `node:sqlite` error (`SQLITE_FULL`, `SQLITE_READONLY_DBMOVED`, ...). */
const sqliteCode = (error: unknown): string | undefined => {
  const errcode = (error as { errcode?: unknown } | null)?.errcode;
  if (typeof errcode !== 'number') return undefined;
  const name = EXTENDED[errcode] ?? PRIMARY[errcode & 0xff];
  return name === undefined ? undefined : `SQLITE_${name}`;
};

/**
 * Turns a SQLite failure into the coded error every store raises, with a message that says what
 * happened to the ledger and what to do. The request that hit it fails closed: its transaction
 * rolled back, so nothing was half-written and nothing was silently dropped.
 */
export function storeError(error: unknown, file: string, doing: string): DrawdownError {
  if (error instanceof DrawdownError) return error;
  const errno = (error as { code?: unknown } | null)?.code;
  if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') {
    // Creating a new ledger (its draft file) in a directory this user may not write.
    const data = { store: 'sqlite', file, errno };
    return new DrawdownError(
      ErrorCodes.STORE_UNAVAILABLE,
      `the drawdown ledger at ${file} does not exist and cannot be created (${errno}), so ${doing} was refused. Make its directory writable or point DRAWDOWN_DB at a writable path.`,
      { data, cause: error },
    );
  }
  const code = sqliteCode(error);
  const data = { store: 'sqlite', file, ...(code !== undefined && { sqliteCode: code }) };
  const fail = (kind: string, message: string): DrawdownError =>
    new DrawdownError(kind, message, { data, cause: error });
  const at = `the drawdown ledger at ${file}`;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return fail(
      ErrorCodes.STORE_INCOMPATIBLE,
      `${at} is corrupt or not a SQLite database (${code}) while ${doing}; it was left untouched. Restore it from a backup or point DRAWDOWN_DB at another file.`,
    );
  }
  if (code?.startsWith('SQLITE_READONLY')) {
    return fail(
      ErrorCodes.STORE_UNAVAILABLE,
      `${at} is read-only (${code}), so ${doing} was refused and nothing was recorded. Make the file and its directory writable (SQLite writes -wal and -shm files beside it) or point DRAWDOWN_DB at a writable path.`,
    );
  }
  if (code === 'SQLITE_FULL') {
    return fail(
      ErrorCodes.STORE_UNAVAILABLE,
      `${at} cannot grow: the disk is full or its size limit is reached, so ${doing} was refused and nothing was recorded. Free disk space and retry.`,
    );
  }
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) {
    return fail(
      ErrorCodes.STORE_UNAVAILABLE,
      `${at} stayed locked by another process beyond the busy timeout, so ${doing} was refused and nothing was recorded. Retry, or raise busyTimeoutMs.`,
    );
  }
  if (code?.startsWith('SQLITE_CANTOPEN') || code?.startsWith('SQLITE_PERM') || code?.startsWith('SQLITE_AUTH')) {
    return fail(
      ErrorCodes.STORE_UNAVAILABLE,
      `${at} cannot be opened (${code}), so ${doing} was refused. Check that the path exists and that this user may read and write it and its directory.`,
    );
  }
  if (code?.startsWith('SQLITE_IOERR')) {
    return fail(
      ErrorCodes.STORE_UNAVAILABLE,
      `${at} hit a disk I/O error (${code}) while ${doing}; nothing was recorded. Check the disk and retry.`,
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return fail(ErrorCodes.STORE_UNAVAILABLE, `${at} failed while ${doing}: ${reason}. Nothing was recorded; retry.`);
}

/**
 * A committed write whose flush to disk failed: it is in the ledger (every process sees it) but
 * may not survive a power cut. Retrying is safe, since every write is idempotent by its key.
 */
export function flushError(error: unknown, file: string): DrawdownError {
  const errno = (error as { code?: unknown } | null)?.code;
  const reason = typeof errno === 'string' ? errno : error instanceof Error ? error.message : String(error);
  return new DrawdownError(
    ErrorCodes.STORE_UNAVAILABLE,
    `the drawdown ledger at ${file} recorded the write but could not flush it to disk (${reason}); check the disk, then retry (a retried settle is charged once).`,
    { data: { store: 'sqlite', file, ...(typeof errno === 'string' && { errno }) }, cause: error },
  );
}
