import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh directory under the OS temp dir, removed after the file's tests. */
export function tempDir(prefix = 'drawdown-sqlite-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let counter = 0;
/** A path for a ledger file that does not exist yet. */
export const ledgerFile = (dir: string): string => join(dir, `ledger-${process.pid}-${++counter}.sqlite`);
