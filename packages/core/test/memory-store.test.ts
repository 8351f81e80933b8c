import { memoryStore } from '@drawdown/core';
import { describeStoreContract } from '@drawdown/testkit/store-contract';

describeStoreContract('memory', { create: async () => memoryStore(), dispose: (store) => store.close() });
