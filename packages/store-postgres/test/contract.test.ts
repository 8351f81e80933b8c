import { describeStoreContract } from '@drawdown/testkit/store-contract';
import { postgresStore } from '../src/index.js';
import { describePostgres, uniqueSchema, url } from './postgres.js';

const schemas = new WeakMap<object, string>();

describePostgres('postgres', () => {
  describeStoreContract('postgres', {
    create: async () => {
      const schema = uniqueSchema();
      const store = await postgresStore({ connectionString: url, schema });
      schemas.set(store, schema);
      return store;
    },
    openPeer: async (store) => postgresStore({ connectionString: url, schema: schemas.get(store)! }),
    dispose: (store) => store.close(),
  });
});
