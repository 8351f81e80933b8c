// Another host on the same PostgreSQL ledger, driven by the tests through `runStoreWorker`.
// Usage: node --conditions=drawdown-source --import tsx ledger-worker.ts '<json args>'
import { runStoreWorker, type StoreWorkerArgs } from '@drawdown/testkit/store-worker';
import { postgresStore } from '../../src/index.js';

const args = JSON.parse(process.argv[2]!) as StoreWorkerArgs;
await runStoreWorker(args, async (config) => postgresStore(config as { connectionString: string; schema: string }));
