import type { LedgerChange } from '@drawdown/core';
import { prepareValue, type Database } from './driver.js';
import type { SqlStatements } from './statements.js';

interface WatcherOptions {
  /** This store object's id in the change log: its own rows were already delivered as `local`. */
  writer: string;
  intervalMs: number;
  deliver(change: LedgerChange): void;
}

/**
 * Notices commits made by other connections (other processes on the same file). `PRAGMA
 * data_version` is a cheap in-memory check that changes only when another connection committed;
 * only then is the change log read, and each row written by someone else is delivered as `remote`.
 */
export function createWatcher(db: Database, statements: SqlStatements, options: WatcherOptions) {
  const dataVersion = prepareValue(db, 'PRAGMA data_version');
  let timer: NodeJS.Timeout | undefined;
  let version = 0;
  let lastSeq = 0;

  const poll = (): void => {
    try {
      const now = dataVersion.get() as number;
      if (now === version) return;
      version = now;
      const rows = statements.changesSince.all(lastSeq) as unknown as Array<{
        seq: number;
        writer: string;
        account: string | null;
        kind: LedgerChange['kind'];
        key: string | null;
      }>;
      for (const row of rows) {
        lastSeq = row.seq;
        if (row.writer === options.writer) continue;
        options.deliver({
          ...(row.account !== null && { account: row.account }),
          kind: row.kind,
          ...(row.key !== null && { key: row.key }),
          origin: 'remote',
        });
      }
    } catch {
      // Busy or briefly unreadable: the next tick tries again; data_version keeps what we missed.
      version = 0;
    }
  };

  return {
    start(): void {
      if (timer) return;
      try {
        version = dataVersion.get() as number;
        lastSeq = statements.lastChange.get() as number;
      } catch {
        version = 0;
      }
      timer = setInterval(poll, options.intervalMs);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
