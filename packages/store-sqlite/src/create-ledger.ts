import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { openDatabase } from './driver.js';
import { migrate } from './schema.js';

/**
 * Creates a new, initialised ledger at `file` when nothing is there yet, and never initialises a
 * file it did not create. The ledger is built in a draft file this process creates exclusively
 * (O_EXCL), then hard-linked into place, which fails if `file` appeared meanwhile. So `file` is
 * never seen empty or half-initialised by another process, and an empty `file` found later can
 * only be damage, which opening refuses. Returns whether this call created `file`.
 */
export function createLedger(file: string, busyTimeoutMs: number): boolean {
  if (existsSync(file)) return false;
  const directory = dirname(file);
  const draft = join(directory, `.${basename(file)}.${process.pid}-${randomUUID().slice(0, 8)}.new`);
  closeSync(openSync(draft, 'wx', 0o600));
  try {
    const db = openDatabase(draft, { timeout: busyTimeoutMs });
    try {
      db.exec('PRAGMA journal_mode = WAL');
      migrate(db, draft, true);
    } finally {
      db.close(); // checkpoints the draft's WAL into it and removes the -wal and -shm files
    }
    try {
      linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false; // another process created it first
      throw error;
    }
    syncDirectory(directory);
    return true;
  } finally {
    for (const path of [draft, `${draft}-wal`, `${draft}-shm`]) rmSync(path, { force: true });
  }
}

/** Makes the new directory entry survive a power cut too (POSIX; Windows has no directory fsync). */
function syncDirectory(directory: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
