import { fileURLToPath } from 'node:url';
import { describeStoreAcrossProcesses } from '@drawdown/testkit/store-contract';
import { postgresStore } from '../src/index.js';
import { describePostgres, uniqueSchema, url } from './postgres.js';

describePostgres('postgres', () => {
  describeStoreAcrossProcesses('postgres', {
    worker: fileURLToPath(new URL('./workers/ledger-worker.ts', import.meta.url)),
    prepare: async () => {
      const schema = uniqueSchema();
      return {
        config: { connectionString: url, schema },
        open: () => postgresStore({ connectionString: url, schema, listen: false }),
      };
    },
  });
});
