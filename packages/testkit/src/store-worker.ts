import { createInterface } from 'node:readline';
import { usd, type LedgerStore, type Limit } from '@drawdown/core';
import { placement } from './store-fixtures.js';

// `@drawdown/testkit/store-worker`: the child-process side of `describeStoreAcrossProcesses`. Each
// worker process loads this module, so it imports no test runner: a worker starts as fast as its
// store opens.

/** What the tests ask a store worker process to do (see `runStoreWorker`). */
export interface StoreWorkerArgs {
  /** Store-specific: how the worker opens the shared ledger (a file, a URL and schema...). */
  config: unknown;
  /**
   * `reserve`: race for the cap, report, exit. `levels`: the same race, each process on a pool of
   * its own with the cap on a limit account they share. `count`: race for a rate limit of `cap`
   * requests. `crash`: hold funds, settle some, wait to be killed. Stores may add their own.
   */
  mode: string;
  tag: string;
  count: number;
  amount: string;
  cap: string;
  now: number;
  ttlMs: number;
  /** crash mode: settle this many holds before announcing `held`. */
  settle?: number;
}

/**
 * The child-process side of `describeStoreAcrossProcesses`: opens the store with `open(config)`,
 * says `ready`, waits for `go` on stdin (so every process starts at once), runs the mode and
 * prints one JSON line per step. Call it from a store's worker script.
 */
export async function runStoreWorker(
  args: StoreWorkerArgs,
  open: (config: unknown) => Promise<LedgerStore>,
): Promise<void> {
  const say = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
  const store = await open(args.config);
  const shared: Limit[] = [{ kind: 'cap', name: 'shared budget', scope: 'lifetime', cap: usd(args.cap) }];
  const reserve = (i: number) =>
    store.reserve({
      key: `${args.tag}-${i}`,
      amount: usd(args.amount),
      ttlMs: args.ttlMs,
      now: args.now,
      ...placement(args.now),
      ...(args.mode === 'levels'
        ? { account: `pool-${args.tag}`, limits: [], limitAccounts: [{ account: 'shared', limits: shared }] }
        : { account: 'shared', limits: shared }),
    });
  // count mode: race for a rate limit of `cap` requests in one window.
  const count = () =>
    store.countInWindow({
      counters: [{ name: 'shared:rpm', amount: 1, limit: Number(args.cap) }],
      windowMs: 60_000,
      now: args.now,
    });
  say({ step: 'ready' });
  for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'go') break;
  const results = await Promise.all(
    Array.from({ length: args.count }, (_, i) => (args.mode === 'count' ? count() : reserve(i))),
  );
  const admitted = results.filter((r) => r.ok).length;
  if (args.mode !== 'crash') {
    say({ step: 'done', admitted });
    await store.close();
    process.exit(0);
  }
  const settled: string[] = [];
  for (let i = 0; i < (args.settle ?? 0); i++) {
    await store.settle({ account: 'shared', key: `${args.tag}-${i}`, cost: usd(args.amount), now: args.now + 1 });
    settled.push(`${args.tag}-${i}`);
  }
  say({ step: 'held', admitted, settled });
  setInterval(() => {}, 60_000); // hold the reservations until SIGKILL
}
