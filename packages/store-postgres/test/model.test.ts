import { describeStoreModel } from '@drawdown/testkit/store-contract';
import { postgresStore } from '../src/index.js';
import { describePostgres, uniqueSchema, url } from './postgres.js';

describePostgres('postgres', () => {
  describeStoreModel('postgres', {
    create: async () => postgresStore({ connectionString: url, schema: uniqueSchema(), listen: false }),
    dispose: (store) => store.close(),
    // Every step reads four accounts' snapshots and ledgers over the network: fewer sequences keep it to seconds.
    sequences: 10,
  });
});
