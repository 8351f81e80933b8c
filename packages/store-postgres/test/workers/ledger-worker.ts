// Another host on the same PostgreSQL ledger, driven by the tests: prints one JSON line per step.
// Usage: node --conditions=source --import tsx ledger-worker.ts '<json args>'
import { createInterface } from 'node:readline';
import { usd } from '@drawdown/core';
import { postgresStore } from '../../src/index.js';

interface Args {
  url: string;
  schema: string;
  /** reserve: race for the cap; crash: hold funds until killed. */
  mode: 'reserve' | 'crash';
  tag: string;
  count: number;
  amount: string;
  cap: string;
  now: number;
  ttlMs: number;
  /** crash mode: settle this many of the holds before announcing `held` and waiting to be killed. */
  settle?: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const say = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
const store = await postgresStore({ connectionString: args.url, schema: args.schema });
const reserve = (i: number) =>
  store.reserve({
    account: 'shared',
    key: `${args.tag}-${i}`,
    amount: usd(args.amount),
    ttlMs: args.ttlMs,
    now: args.now,
    limits: [{ kind: 'cap', name: 'shared budget', scope: 'lifetime', cap: usd(args.cap) }],
    scopes: [],
    day: new Date(args.now).toISOString().slice(0, 10),
  });

say({ step: 'ready' });
// Wait for "go" so every process starts reserving at the same moment.
for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'go') break;

const results = await Promise.all(Array.from({ length: args.count }, (_, i) => reserve(i)));
const admitted = results.filter((r) => r.ok).length;
if (args.mode === 'reserve') {
  say({ step: 'done', admitted });
  await store.close();
  process.exit(0);
}
const settled: string[] = [];
for (let i = 0; i < (args.settle ?? 0); i++) {
  await store.settle({ account: 'shared', key: `${args.tag}-${i}`, cost: usd(args.amount), now: args.now + 1 });
  settled.push(`${args.tag}-${i}`);
}
say({ step: 'held', admitted, settled });
setInterval(() => {}, 60_000); // hold the reservations until SIGKILL
