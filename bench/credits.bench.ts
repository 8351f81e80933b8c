import { createHub, silentLogger, usd } from '@drawdown/core';
// The workspace root does not depend on the plugin; the bench reads its source directly.
import {
  credits,
  manualProvider,
  type ChargeResult,
  type CreditsPool,
  type PaymentProvider,
} from '../packages/plugin-credits/src/index.js';
import { percentile, round, sampleMicros, type Bench } from './lib.js';

/** Credits wallet overhead on the memory store: reserve + settle, and a settle that starts a reload. */
export default (async () => {
  const funds = manualProvider();
  const hub = await createHub({
    logger: silentLogger,
    plugins: [
      credits({
        provider: funds,
        monthlyLimit: '1000000',
        dailyCeiling: 'unlimited',
        alerts: { balanceBelow: ['10'] },
      }),
    ],
  });
  await funds.grant({ amount: '1000000' });
  const wallet = hub.pool('credits') as CreditsPool;
  let n = 0;
  const settled = await sampleMicros(
    async () => {
      const key = `r${n++}`;
      await wallet.reserve({ key, amount: usd('0.01') });
      await wallet.settle({ key, cost: usd('0.0042') });
    },
    20_000,
    5_000,
  );
  await hub.close();

  // Every settle crosses the threshold: measures the crossing check plus one reload to completion.
  const instant: PaymentProvider = {
    id: 'instant',
    charge: async (): Promise<ChargeResult> => ({ status: 'succeeded', reference: 'bench' }),
  };
  const reloading = await createHub({
    logger: silentLogger,
    plugins: [
      credits({
        provider: instant,
        dailyCeiling: 'unlimited',
        autoReload: { threshold: '5', amount: '1', backoffMs: [0] },
      }),
    ],
  });
  const w = reloading.pool('credits') as CreditsPool;
  await w.addFunds({ amount: usd('5'), idempotencyKey: 'seed' });
  const reloads = await sampleMicros(
    async () => {
      const key = `x${n++}`;
      await w.reserve({ key, amount: usd('1') });
      await w.settle({ key, cost: usd('1') });
      await w.idle();
    },
    2_000,
    200,
  );
  await reloading.close();

  return [
    { name: 'credits reserve+settle (memory) p50', value: round(percentile(settled, 50)), unit: 'µs' },
    { name: 'credits reserve+settle (memory) p99', value: round(percentile(settled, 99)), unit: 'µs', aim: '< 100 µs' },
    { name: 'settle crossing the threshold + reload done p50', value: round(percentile(reloads, 50)), unit: 'µs' },
    {
      name: 'settle crossing the threshold + reload done p99',
      value: round(percentile(reloads, 99)),
      unit: 'µs',
      note: 'lease, state, charge, grant; tail not yet explained',
    },
  ];
}) satisfies Bench;
