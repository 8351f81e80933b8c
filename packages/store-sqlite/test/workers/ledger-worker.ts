// Another process on the same ledger file, driven by the tests through `runStoreWorker`, plus a
// `probe` mode that reports how each kind of request fares (for read-only disks).
// Usage: node --conditions=drawdown-source --import tsx ledger-worker.ts '<json args>'
import { usd } from '@drawdown/core';
import { runStoreWorker, type StoreWorkerArgs } from '@drawdown/testkit/store-worker';
import { sqliteStore } from '../../src/index.js';

const args = JSON.parse(process.argv[2]!) as StoreWorkerArgs & { config: { file: string } };
const say = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
const outcome = (error: unknown): string => `${(error as { code?: string }).code}: ${(error as Error).message}`;
const attempt = (fn: () => Promise<unknown>): Promise<string> => fn().then(() => 'ok', outcome);

if (args.mode === 'probe') {
  let store: ReturnType<typeof sqliteStore>;
  try {
    store = sqliteStore({ file: args.config.file });
  } catch (error) {
    say({ step: 'probed', open: outcome(error) });
    process.exit(0);
  }
  const snapshot = await attempt(() => store.snapshot({ account: 'shared', now: args.now }));
  const settle = await attempt(() =>
    store.settle({
      account: 'shared',
      key: 'probe',
      cost: usd(args.amount),
      now: args.now,
      scopes: [],
      day: '2026-11-23',
    }),
  );
  say({ step: 'probed', open: 'ok', snapshot, settle });
  process.exit(0);
}

if (args.mode === 'settle-until-killed') {
  // Settles without end, 64 in flight, and reports each settle only after it returned: the test
  // kills this process with SIGKILL and then looks for every reported key in the ledger.
  const store = sqliteStore({ file: args.config.file });
  say({ step: 'ready' });
  let next = 0;
  const settleForever = async (): Promise<void> => {
    for (;;) {
      const key = `${args.tag}-${next++}`;
      await store.settle({
        account: 'shared',
        key,
        cost: usd(args.amount),
        now: args.now,
        scopes: [],
        day: '2026-11-23',
      });
      say({ step: 'settled', key });
      // Settles answered from microtasks alone would never let the event loop drain stdout.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: 64 }, settleForever));
}

await runStoreWorker(args, async (config) => sqliteStore({ file: (config as { file: string }).file }));
