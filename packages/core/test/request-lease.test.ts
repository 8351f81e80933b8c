import { apiKey, budget, createHub, memoryStore, usd, type Hub, type RequestLease } from '@drawdown/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quiet } from './helpers.js';

async function trialHub(amount = '1'): Promise<Hub> {
  return createHub({
    ...quiet,
    store: memoryStore(),
    plugins: [apiKey({ id: 'k', key: 'sk-test' }), budget({ id: 'trial', amount })],
    route: { entries: [{ id: 'trial', strategy: 'k', pool: 'trial' }] },
  });
}

const MALFORMED = { input_tokens: -1, output_tokens: 10 };

describe('a lease whose settle throws', () => {
  it('keeps its hold for fail(), so the next request is admitted (the $1 budget, $0.60 hold repro)', async () => {
    const hub = await trialHub('1');
    const lease = await hub.begin({ model: 'claude-sonnet-5-5', amount: usd('0.60') });
    await expect(lease.settle({ usage: MALFORMED })).rejects.toMatchObject({ code: 'DRAWDOWN_INVALID_USAGE' });
    expect((await hub.pool('trial').status()).held).toBe(usd('0.60'));
    await lease.fail(new Error('the usage could not be priced'));
    expect((await hub.pool('trial').status()).held).toBe(0);
    const next = await hub.begin({ model: 'claude-sonnet-5-5', amount: usd('0.60') });
    expect(next.held).toBe(usd('0.60'));
    await hub.close();
  });

  it('keeps its hold for release(), and can still be settled with a good usage afterwards', async () => {
    const hub = await trialHub('1');
    const lease = await hub.begin({ model: 'claude-sonnet-5-5', amount: usd('0.60') });
    await expect(lease.settle({ usage: { input: 5000, output: 100 } })).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_USAGE',
    });
    const retried = await lease.settle({ usage: { input_tokens: 1000, output_tokens: 100 } });
    expect(retried.costUsd).toBe('0.003'); // 1,000 × $2 + 100 × $10 per MTok
    await lease.release(); // already finished: nothing to release
    const status = await hub.pool('trial').status();
    expect(status).toMatchObject({ held: 0, spent: usd('0.003') });
    await hub.close();
  });

  it('has a fail() that arrives during a settle wait for it and release nothing', async () => {
    const hub = await trialHub('1');
    const lease = await hub.begin({ model: 'claude-sonnet-5-5', amount: usd('0.5') });
    const failed: number[] = [];
    hub.on('request.failed', (e) => {
      failed.push(e.released);
    });
    const settling = lease.settle({ usage: { input_tokens: 1000, output_tokens: 100 } });
    const failing = lease.fail(new Error('late'));
    await Promise.all([settling, failing]);
    expect(failed).toEqual([0]);
    expect(await hub.pool('trial').status()).toMatchObject({ held: 0, spent: usd('0.003') });
    await hub.close();
  });
});

type Step =
  | { kind: 'begin'; cents: number }
  | { kind: 'settle'; pick: number; outputTokens: number }
  | { kind: 'throwingSettle'; pick: number }
  | { kind: 'fail'; pick: number }
  | { kind: 'release'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('begin' as const), cents: fc.integer({ min: 1, max: 40 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      pick: fc.nat(),
      outputTokens: fc.integer({ min: 0, max: 50_000 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('throwingSettle' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('fail' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
);

describe('lease bookkeeping under any sequence of steps', () => {
  it('holds exactly the open leases, and spends exactly what settled, after begin / settle / throwing settle / fail / release', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const hub = await trialHub('5');
        const leases: RequestLease[] = [];
        const open = new Map<string, number>();
        let spent = 0;
        for (const s of steps) {
          if (s.kind === 'begin') {
            try {
              const lease = await hub.begin({ model: 'claude-sonnet-5-5', amount: s.cents * 10_000_000 });
              leases.push(lease);
              open.set(lease.requestId, lease.held);
            } catch (error) {
              expect(error).toMatchObject({ code: 'DRAWDOWN_ROUTE_EXHAUSTED' });
            }
            continue;
          }
          const lease = leases[s.pick % Math.max(1, leases.length)];
          if (!lease) continue;
          if (s.kind === 'throwingSettle') {
            await expect(lease.settle({ usage: MALFORMED })).rejects.toMatchObject({ code: 'DRAWDOWN_INVALID_USAGE' });
          } else if (s.kind === 'settle') {
            const settled = await lease.settle({ usage: { input_tokens: 1000, output_tokens: s.outputTokens } });
            if (settled.status === 'settled') spent += settled.cost;
            open.delete(lease.requestId);
          } else {
            if (s.kind === 'fail') await lease.fail(new Error('upstream failed'));
            else await lease.release();
            open.delete(lease.requestId);
          }
          const status = await hub.pool('trial').status();
          expect(status.held).toBe([...open.values()].reduce((a, b) => a + b, 0));
          expect(status.spent).toBe(spent);
        }
        await hub.close();
      }),
      { numRuns: 60 },
    );
  });
});
