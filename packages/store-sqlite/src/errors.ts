import { DrawdownError, ErrorCodes } from '@drawdown/core';

/** The SQLite result code of a better-sqlite3 error (`SQLITE_FULL`, `SQLITE_READONLY_DBMOVED`, ...). */
const sqliteCode = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
};

/**
 * Turns a SQLite failure into the coded error every store raises, with a message that says what
 * happened to the ledger and what to do. The request that hit it fails closed: its transaction
 * rolled back, so nothing was half-written and nothing was silently dropped.
 */
export function storeError(error: unknown, file: string, doing: string): DrawdownError {
  if (error instanceof DrawdownError) return error;
  const code = sqliteCode(error);
  const data = { store: 'sqlite', file, ...(code !== undefined && { sqliteCode: code }) };
  const fail = (kind: string, message: string): DrawdownError => new DrawdownError(kind, message, { data, cause: error });
  const at = `the drawdown ledger at ${file}`;
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
    return fail(ErrorCodes.STORE_INCOMPATIBLE, `${at} is corrupt or not a SQLite database (${code}) while ${doing}; it was left untouched. Restore it from a backup or point DRAWDOWN_DB at another file.`);
  }
  if (code?.startsWith('SQLITE_READONLY')) {
    return fail(ErrorCodes.STORE_UNAVAILABLE, `${at} is read-only (${code}), so ${doing} was refused and nothing was recorded. Make the file and its directory writable (SQLite writes -wal and -shm files beside it) or point DRAWDOWN_DB at a writable path.`);
  }
  if (code === 'SQLITE_FULL') {
    return fail(ErrorCodes.STORE_UNAVAILABLE, `${at} cannot grow: the disk is full or its size limit is reached, so ${doing} was refused and nothing was recorded. Free disk space and retry.`);
  }
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED')) {
    return fail(ErrorCodes.STORE_UNAVAILABLE, `${at} stayed locked by another process beyond the busy timeout, so ${doing} was refused and nothing was recorded. Retry, or raise busyTimeoutMs.`);
  }
  if (code?.startsWith('SQLITE_CANTOPEN') || code?.startsWith('SQLITE_PERM') || code?.startsWith('SQLITE_AUTH')) {
    return fail(ErrorCodes.STORE_UNAVAILABLE, `${at} cannot be opened (${code}), so ${doing} was refused. Check that the path exists and that this user may read and write it and its directory.`);
  }
  if (code?.startsWith('SQLITE_IOERR')) {
    return fail(ErrorCodes.STORE_UNAVAILABLE, `${at} hit a disk I/O error (${code}) while ${doing}; nothing was recorded. Check the disk and retry.`);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return fail(ErrorCodes.STORE_UNAVAILABLE, `${at} failed while ${doing}: ${reason}. Nothing was recorded; retry.`);
}
