import { describeStoreContract } from '@drawdown/testkit/store-contract';
import { sqliteStore } from '../src/index.js';
import { ledgerFile, tempDir } from './helpers.js';

const dir = tempDir();
const files = new WeakMap<object, string>();

describeStoreContract('sqlite', {
  create: async () => {
    const file = ledgerFile(dir);
    const store = sqliteStore({ file, watchIntervalMs: 10 });
    files.set(store, file);
    return store;
  },
  openPeer: async (store) => sqliteStore({ file: files.get(store)!, watchIntervalMs: 10 }),
  dispose: (store) => store.close(),
});
