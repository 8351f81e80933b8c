import type { LedgerChange } from '@drawdown/core';
import type { Database } from './driver.js';
import { flushError, storeError } from './errors.js';

/** What one write did: its caller's answer, and the change to announce once it is committed. */
export interface WriteOutcome<T> {
  result: T;
  change?: Omit<LedgerChange, 'origin'>;
}

interface Pending {
  doing: string;
  /** The caller is answered only once the commit is on disk (see WriteQueueOptions.sync). */
  durable: boolean;
  apply(): WriteOutcome<unknown>;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

export interface WriteQueueOptions {
  file: string;
  /** Most writes in one transaction; 1 commits every write on its own, at the call. */
  maxBatch: number;
  /** Announces a committed change (local origin). */
  deliver(change: Omit<LedgerChange, 'origin'>): void;
  /**
   * Resolves when every commit made so far is on disk. Durable writes are answered after it;
   * the others (holds, releases) as soon as they are committed, visible to every process. Absent:
   * every write is answered at its commit.
   */
  sync?: () => Promise<void>;
}

/**
 * Group commit on one connection. Writes called in the same event-loop turn are applied, in call
 * order, in one `BEGIN IMMEDIATE` transaction at the end of the turn: one lock, one commit, one
 * WAL append for all of them. Each item runs inside its own SAVEPOINT, so an item that throws is
 * undone alone and fails only its caller. Every caller is answered only after the COMMIT; if the
 * transaction fails as a whole, every caller of the batch gets the same coded error and nothing
 * of the batch is recorded. A batch of one takes the plain one-transaction path.
 */
export function createWriteQueue(db: Database, options: WriteQueueOptions) {
  const { file, maxBatch, deliver, sync } = options;
  const sql = {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT item'),
    release: db.prepare('RELEASE item'),
    undo: db.prepare('ROLLBACK TO item'),
  };
  const queue: Pending[] = [];
  let scheduled = false;
  let flushing = false;

  /** Ends a failed transaction; SQLite may already have rolled it back (a full disk, an I/O error). */
  function abandon(): void {
    try {
      if (db.isTransaction) sql.rollback.run();
    } catch {
      // SQLite already rolled back, or the connection is gone: either way nothing was committed.
    }
  }

  /** One write, one transaction: the path every write took before group commit. */
  function runAlone<T>(doing: string, apply: () => WriteOutcome<T>): T {
    let outcome: WriteOutcome<T>;
    try {
      sql.begin.run();
      outcome = apply();
      sql.commit.run();
    } catch (error) {
      abandon();
      throw storeError(error, file, doing);
    }
    if (outcome.change) deliver(outcome.change);
    return outcome.result;
  }

  function runBatch(batch: Pending[]): void {
    const outcomes: Array<{ out: WriteOutcome<unknown> } | { error: unknown }> = [];
    try {
      sql.begin.run();
      for (const item of batch) {
        sql.savepoint.run();
        try {
          outcomes.push({ out: item.apply() });
          sql.release.run();
        } catch (error) {
          // SQLite rolls the whole transaction back on some failures (a full disk, an I/O error):
          // then the items before this one are gone too, and the batch fails as one.
          if (!db.isTransaction) throw error;
          sql.undo.run();
          sql.release.run();
          outcomes.push({ error: storeError(error, file, item.doing) });
        }
      }
      sql.commit.run();
    } catch (error) {
      // A COMMIT that fails (e.g. a deferred constraint) leaves the transaction open: end it.
      abandon();
      const failure = storeError(error, file, `recording ${batch.length} ledger writes in one transaction`);
      for (const item of batch) item.reject(failure);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) {
        item.reject(outcome.error);
        return;
      }
      if (outcome.out.change) deliver(outcome.out.change);
      answer(item, outcome.out.result);
    });
  }

  /** Durable writes committed in this drain, answered together after one sync. */
  let flushed: Array<{ item: Pending; result: unknown }> = [];

  function answer(item: Pending, result: unknown): void {
    if (item.durable && sync) flushed.push({ item, result });
    else item.resolve(result);
  }

  function answerFlushed(): void {
    if (flushed.length === 0) return;
    const waiting = flushed;
    flushed = [];
    sync!().then(
      () => {
        for (const { item, result } of waiting) item.resolve(result);
      },
      (error: unknown) => {
        const failure = flushError(error, file);
        for (const { item } of waiting) item.reject(failure);
      },
    );
  }

  /** Applies every queued write now; reads call it first so they see every write called before them. */
  function flush(): void {
    scheduled = false;
    // A watcher that writes and reads from inside a flush leaves its writes to this loop, so
    // batches and their announcements stay in call order.
    if (flushing) return;
    flushing = true;
    try {
      drain();
    } finally {
      flushing = false;
      answerFlushed();
    }
  }

  function drain(): void {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      if (batch.length > 1) {
        runBatch(batch);
        continue;
      }
      const only = batch[0]!;
      let result: unknown;
      try {
        result = runAlone(only.doing, only.apply);
      } catch (error) {
        only.reject(error);
        continue;
      }
      answer(only, result);
    }
  }

  return {
    /** Queues one write; `durable`: answered only once its commit is on disk. */
    submit<T>(doing: string, apply: () => WriteOutcome<T>, durable: boolean): Promise<T> {
      if (maxBatch === 1) {
        let result: T;
        try {
          result = runAlone(doing, apply);
        } catch (error) {
          return Promise.reject(error);
        }
        return durable && sync
          ? sync().then(
              () => result,
              (error: unknown) => {
                throw flushError(error, file);
              },
            )
          : Promise.resolve(result);
      }
      return new Promise<T>((resolve, reject) => {
        queue.push({ doing, durable, apply, resolve: resolve as (result: unknown) => void, reject });
        if (scheduled) return;
        scheduled = true;
        // After the rest of this turn's calls have queued, so they share the transaction.
        queueMicrotask(flush);
      });
    },
    flush,
  };
}
