/**
 * `@drawdown/testkit/store-contract`: the suites a ledger store runs from its own tests (they need
 * vitest). The worker script that `describeStoreAcrossProcesses` starts imports
 * `@drawdown/testkit/store-worker` instead, which loads no test runner.
 */
export { describeStoreContract, type StoreContractOptions } from './store-contract-suite.js';
export {
  describeStoreAcrossProcesses,
  startStoreWorker,
  type StoreProcessOptions,
  type StoreWorker,
} from './store-processes.js';
export { describeStoreModel, type StoreModelOptions } from './store-model.js';
// Worker scripts written before `@drawdown/testkit/store-worker` import these from here; they keep
// working, at the cost of loading vitest in every worker process.
export { runStoreWorker, type StoreWorkerArgs } from './store-worker.js';
