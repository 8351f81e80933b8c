// A separate process on the same ledger file, driven by the tests: prints one JSON line per step.
// Usage: node --conditions=source --import tsx ledger-worker.ts '<json args>'
import { createInterface } from 'node:readline';
import { calendarWindow, usd } from '@drawdown/core';
import { sqliteStore } from '../../src/index.js';

interface Args {
  file: string;
  /** reserve: race for the cap; crash: hold funds until killed; probe: report how each request fares. */
  mode: 'reserve' | 'crash' | 'probe';
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
const outcome = async (fn: () => Promise<unknown>): Promise<string> =>
  fn().then(
    () => 'ok',
    (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`,
  );

if (args.mode === 'probe') {
  let opened: ReturnType<typeof sqliteStore>;
  try {
    opened = sqliteStore({ file: args.file });
  } catch (error) {
    say({ step: 'probed', open: `${(error as { code?: string }).code}: ${(error as Error).message}` });
    process.exit(0);
  }
  const snapshot = await outcome(() => opened.snapshot({ account: 'shared', now: args.now }));
  const settle = await outcome(() => opened.settle({ account: 'shared', key: 'probe', cost: usd(args.amount), now: args.now, scopes: [], day: '2026-11-23' }));
  say({ step: 'probed', open: 'ok', snapshot, settle });
  process.exit(0);
}

const store = sqliteStore({ file: args.file });
const day = calendarWindow('day', args.now, 'UTC');
const reserve = (i: number) =>
  store.reserve({
    account: 'shared',
    key: `${args.tag}-${i}`,
    amount: usd(args.amount),
    ttlMs: args.ttlMs,
    now: args.now,
    limits: [{ kind: 'cap', name: 'shared budget', scope: 'lifetime', cap: usd(args.cap) }],
    scopes: [day.key],
    day: new Date(args.now).toISOString().slice(0, 10),
  });

say({ step: 'ready' });
// Wait for "go" so every process starts reserving at the same moment.
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === 'go') break;

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
