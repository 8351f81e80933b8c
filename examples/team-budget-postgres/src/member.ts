// One team member's process: spends $1.00 requests from the shared wallet until it refuses, waits
// for the wallet to be topped up (announced by `pool.reset`, which arrives here from another
// process through PostgreSQL), spends again, and prints every event it receives as a JSON line.
// Usage: node member.ts <name> <schema>   (starts spending when it reads "go" on stdin)
import { createInterface } from 'node:readline';
import { ErrorCodes, formatUsd, isDrawdownError, usd, type Hub } from '@drawdown/core';
import { DEFAULT_URL, openTeamHub } from './team.js';

const [name = 'member', schema = 'drawdown'] = process.argv.slice(2);
const print = (line: object) => void process.stdout.write(`${JSON.stringify({ member: name, ...line })}\n`);
const hub = await openTeamHub({ connectionString: process.env.DRAWDOWN_TEST_POSTGRES_URL ?? DEFAULT_URL, schema });

hub.on('ledger.changed', async (e) => {
  // Changes made by the other member arrive through LISTEN/NOTIFY; the balance here follows them.
  if (e.origin === 'remote' && e.kind === 'settle')
    print({
      event: 'ledger.changed',
      origin: 'remote',
      message: `the other member spent; balance ${formatUsd((await hub.pool('team').status()).remaining ?? 0)}`,
    });
});
hub.on('pool.low', (e) => print({ event: 'pool.low', message: e.message }));
hub.on('pool.exhausted', (e) => print({ event: 'pool.exhausted', message: e.message }));
hub.on('pool.reset', (e) => print({ event: 'pool.reset', message: e.status.summary }));

async function spendUntilRefused(hub: Hub, round: number): Promise<number> {
  let admitted = 0;
  for (let i = 0; ; i++) {
    try {
      const lease = await hub.begin({
        requestId: `${name}-${round}-${i}`,
        model: 'claude-haiku-4-5',
        amount: usd('1.00'),
      });
      await lease.settle({ cost: usd('1.00') });
      admitted++;
      print({ event: 'request.settled', message: `spent $1.00` });
    } catch (error) {
      if (!isDrawdownError(error, ErrorCodes.ROUTE_EXHAUSTED)) throw error;
      print({ event: 'refused', message: error.message });
      return admitted;
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the other member interleave
  }
}

const reset = new Promise<void>((resolve) => hub.once('pool.reset', () => resolve()));
print({ event: 'ready' });
for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'go') break;
let admitted = await spendUntilRefused(hub, 1);
print({ event: 'waiting' });
let timer: NodeJS.Timeout | undefined;
await Promise.race([
  reset,
  new Promise(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${name}: no pool.reset within 20 s`)), 20_000)),
  ),
]);
clearTimeout(timer);
admitted += await spendUntilRefused(hub, 2);
print({ event: 'done', admitted });
await hub.close();
await hub.store.close();
