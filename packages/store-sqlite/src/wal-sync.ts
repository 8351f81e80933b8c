import { closeSync, fsync, openSync } from 'node:fs';

/**
 * Makes commits durable without blocking the event loop. The connection commits with
 * `synchronous = NORMAL` (the WAL is written, not flushed); whoever needs a commit on disk then
 * waits for `fsync` of the WAL file, run on libuv's thread pool. Every commit made before an
 * fsync starts is covered by it (the WAL is append-only and fsync flushes the whole file), so
 * one fsync answers every caller that was waiting when it began: group commit for the flush, as
 * the write queue already does for the transaction. A call arriving during an fsync waits for
 * the next one, which starts as soon as the current one ends.
 */
export function createWalSync(walFile: string, flush: typeof fsync = fsync) {
  let fd: number | undefined;
  let running: Promise<void> | undefined;
  /** Callers whose commits are newer than the running fsync: answered by the next one. */
  let next: { promise: Promise<void>; start(): void } | undefined;

  const once = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      try {
        // Opened on first use: the WAL file exists once the connection has written.
        fd ??= openSync(walFile, 'r+');
      } catch (error) {
        reject(error);
        return;
      }
      flush(fd, (error) => (error ? reject(error) : resolve()));
    });

  const begin = (): Promise<void> => {
    const current = once().finally(() => {
      running = undefined;
      const waiting = next;
      next = undefined;
      waiting?.start();
    });
    running = current;
    return current;
  };

  return {
    /** Resolves when every commit made before this call is on disk. */
    sync(): Promise<void> {
      if (!running) return begin();
      if (!next) {
        let start!: () => void;
        const promise = new Promise<void>((resolve, reject) => {
          start = () => begin().then(resolve, reject);
        });
        next = { promise, start };
      }
      return next.promise;
    },
    /** Waits for the fsyncs under way, then closes the file. */
    async close(): Promise<void> {
      while (running || next) await (next?.promise ?? running)?.catch(() => undefined);
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

export type WalSync = ReturnType<typeof createWalSync>;
