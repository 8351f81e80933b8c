// A store worker as a store's own tests write one, on the memory store (each process its own
// ledger): enough to see what a worker process loads and that it answers.
// Usage: node --conditions=drawdown-source --import tsx memory-worker.ts '<json args>'
import { memoryStore } from '@drawdown/core';
import { runStoreWorker, type StoreWorkerArgs } from '@drawdown/testkit/store-worker';

await runStoreWorker(JSON.parse(process.argv[2]!) as StoreWorkerArgs, async () => memoryStore());
