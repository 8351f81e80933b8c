import { describeStoreModel } from '@drawdown/testkit/store-contract';
import { memoryStore } from '../src/index.js';

describeStoreModel('memory', { create: async () => memoryStore(), dispose: (store) => store.close(), sequences: 60 });
