// One gateway process of the load test: a hub on the shared ledger, a pool, the budget hierarchy and a
// gateway in front of the loopback upstream. Prints {"url"} once listening; on "stop" (stdin) it
// closes the gateway (waiting for every settle), the hub and the store, prints {"closed":true} and exits.
// Usage: node --conditions=drawdown-source --import tsx gateway-process.ts '<json LoadProcessArgs>'
import { createInterface } from 'node:readline';
import { apiKey, budget, createHub, silentLogger, type LedgerStore } from '@drawdown/core';
import { postgresStore } from '@drawdown/store-postgres';
import { sqliteStore } from '@drawdown/store-sqlite';
import { startGateway } from '../../src/index.js';
import type { LoadProcessArgs } from './levels-load.js';

const args = JSON.parse(process.argv[2]!) as LoadProcessArgs;
const store: LedgerStore =
  args.store.kind === 'postgres'
    ? await postgresStore({ connectionString: args.store.url, schema: args.store.schema })
    : sqliteStore({ file: args.store.file });
const hub = await createHub({
  store,
  logger: silentLogger,
  timeZone: args.timeZone,
  plugins: [
    apiKey({ id: 'key', key: args.upstreamKey }),
    budget({ id: 'pool', amount: args.poolBudget }),
    // The rate-limited keys' own pool, so the hierarchy's pool holds exactly what its keys spent.
    budget({ id: 'rates', amount: args.poolBudget }),
  ],
  route: {
    entries: [
      { id: 'pool', strategy: 'key', pool: 'pool' },
      { id: 'rates', strategy: 'key', pool: 'rates' },
    ],
  },
});
const gateway = await startGateway({ hub, upstream: { url: args.upstreamUrl }, budgets: args.budgets });
process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);

for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'stop') break;
await gateway.close();
await hub.close();
await store.close();
process.stdout.write(`${JSON.stringify({ closed: true })}\n`);
process.exit(0);
