import { describeStoreModel } from '@drawdown/testkit/store-contract';
import { sqliteStore } from '../src/index.js';
import { ledgerFile, tempDir } from './helpers.js';

const dir = tempDir();

describeStoreModel('sqlite', {
  create: async () => sqliteStore({ file: ledgerFile(dir), watchIntervalMs: 1_000 }),
  dispose: (store) => store.close(),
});
