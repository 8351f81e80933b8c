import { calendarWindow, memoryStore, usd, type LedgerStore } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scriptedProvider, wallet, type Wallet } from './helpers.js';

const MONTHLY = usd('60');
const DAILY = usd('25');

type Command =
  | { kind: 'reserve'; proc: 0 | 1; cents: number; ttlMs: number }
  | { kind: 'settle'; pick: number; percent: number }
  | { kind: 'settleTogether'; picks: number[]; percent: number }
  | { kind: 'release'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'promo'; cents: number; expiresInMs: number }
  | { kind: 'reloadNow'; proc: 0 | 1 }
  | { kind: 'autoReload'; on: boolean };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      proc: fc.constantFrom(0 as const, 1 as const),
      cents: fc.integer({ min: 1, max: 900 }),
      ttlMs: fc.constantFrom(1_000, 60_000, 3_600_000),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      pick: fc.nat(),
      percent: fc.integer({ min: 0, max: 160 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('settleTogether' as const),
      picks: fc.array(fc.nat(), { minLength: 2, maxLength: 6 }),
      percent: fc.integer({ min: 50, max: 120 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(0, 500, 2_000, 600_000, 3 * 3_600_000, 26 * 3_600_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('promo' as const),
      cents: fc.integer({ min: 100, max: 1500 }),
      expiresInMs: fc.constantFrom(1_000, 3_600_000, 90 * 86_400_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('reloadNow' as const), proc: fc.constantFrom(0 as const, 1 as const) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('autoReload' as const), on: fc.boolean() }) },
);

const outcomes = fc.array(fc.constantFrom('succeeded' as const, 'failed' as const, 'throw' as const, 'lost' as const), {
  maxLength: 12,
});

interface Hold {
  proc: 0 | 1;
  key: string;
  amount: number;
  expiresAt: number;
  done: boolean;
}

async function checkLedger(
  store: LedgerStore,
  now: number,
  unbacked: number,
  payments: ReturnType<typeof scriptedProvider>,
): Promise<void> {
  const snap = await store.snapshot({ account: 'credits', now });
  const entries = await store.entries({ account: 'credits' });
  const grants = entries.flatMap((e) => (e.kind === 'grant' ? [e.record] : []));
  const charges = entries.flatMap((e) => (e.kind === 'charge' ? [e.record] : []));
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  // Ledger sums equal balances, to the nanodollar.
  expect(snap.settled.lifetime).toBe(sum(charges.map((c) => c.cost)));
  for (const c of charges) expect(sum(c.allocations.map((a) => a.amount)) + c.overdraft).toBe(c.cost);
  const repaid = sum(charges.map((c) => c.overdraft)) - snap.overdraft;
  expect(
    sum(grants.map((g) => g.amount)) - sum(charges.flatMap((c) => c.allocations.map((a) => a.amount))) - repaid,
  ).toBe(sum(grants.map((g) => g.remaining)));
  expect(snap.granted).toBe(
    sum(grants.filter((g) => g.expiresAt === undefined || g.expiresAt > now).map((g) => g.remaining)),
  );
  // No negative balance beyond true-cost overruns (and funds that expired under an active hold).
  const expired = sum(grants.filter((g) => g.expiresAt !== undefined && g.expiresAt <= now).map((g) => g.remaining));
  expect(snap.overdraft).toBeLessThanOrEqual(unbacked + expired);
  // Every reload grant is exactly one payment; never two reloads in flight.
  // A payment whose answer was lost has no grant yet; its key stays pending, so resuming replays it.
  const granted = new Set(grants.map((g) => g.grantId));
  const ungranted = payments.paidKeys().filter((key) => !granted.has(`grant:${key}`));
  const pending = (await store.getState<{ pending?: { attemptKey: string } }>('credits:credits:reload'))?.pending;
  expect(ungranted).toEqual(pending && ungranted.length > 0 ? [pending.attemptKey] : []);
  expect(grants.filter((g) => g.grantId.startsWith('grant:reload:')).length).toBe(
    payments.paidKeys().length - ungranted.length,
  );
  expect(payments.maxInFlight()).toBeLessThanOrEqual(1);
}

async function checkAdmitted(w: Wallet, now: number): Promise<void> {
  const month = calendarWindow('month', now, 'UTC').key;
  const day = calendarWindow('day', now, 'UTC').key;
  const snap = await w.store.snapshot({ account: 'credits', now, scopes: [month, day] });
  // Caps are never exceeded by admitted holds + settled spend, and admitted holds are funded.
  expect((snap.settled[month] ?? 0) + snap.held).toBeLessThanOrEqual(MONTHLY);
  expect((snap.settled[day] ?? 0) + snap.held).toBeLessThanOrEqual(DAILY);
  expect(snap.granted - snap.overdraft - snap.held).toBeGreaterThanOrEqual(0);
}

describe('credits wallet invariants under random interleavings', () => {
  it('keeps every invariant through reserve, settle, release, hold and grant expiry, reload success and failure', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 40 }), outcomes, async (commands, script) => {
        const payments = scriptedProvider([...script], { pauseMs: 1 });
        const store = memoryStore();
        const clock = manualClock('2026-11-29T20:00:00Z');
        const options = {
          provider: payments.provider,
          monthlyLimit: '60',
          dailyCeiling: '25',
          autoReload: { threshold: '5', amount: '10', maxFailures: 3, backoffMs: [0], monthlyLimit: '200' },
        };
        const procs = [await wallet(options, { store, clock }), await wallet(options, { store, clock })] as const;
        await procs[0].pool.grant({ amount: '12', idempotencyKey: 'seed' });
        const holds: Hold[] = [];
        let unbacked = 0;
        let n = 0;
        const open = () => holds.filter((h) => !h.done);
        const settle = async (hold: Hold, percent: number) => {
          const cost = Math.round((hold.amount * percent) / 100);
          const backed = hold.expiresAt > clock.now() ? Math.min(cost, hold.amount) : 0;
          hold.done = true;
          const result = await procs[hold.proc].pool.settle({ key: hold.key, cost });
          if (result.status === 'settled') unbacked += cost - backed;
        };

        for (const c of commands) {
          const live = open();
          switch (c.kind) {
            case 'reserve': {
              const key = `r${n++}`;
              try {
                const hold = await procs[c.proc].pool.reserve({ key, amount: c.cents * 10_000_000, ttlMs: c.ttlMs });
                holds.push({ proc: c.proc, key, amount: hold.amount, expiresAt: hold.expiresAt, done: false });
                await checkAdmitted(procs[c.proc], clock.now());
              } catch (error) {
                expect((error as { code?: string }).code).toBe('DRAWDOWN_POOL_EXHAUSTED');
              }
              break;
            }
            case 'settle':
              if (live.length > 0) await settle(live[c.pick % live.length]!, c.percent);
              break;
            case 'settleTogether': {
              const picked = [
                ...new Set(
                  c.picks.map((p) => live[p % Math.max(1, live.length)]).filter((h): h is Hold => h !== undefined),
                ),
              ];
              await Promise.all(picked.map((h) => settle(h, c.percent)));
              break;
            }
            case 'release':
              if (live.length > 0) {
                const hold = live[c.pick % live.length]!;
                hold.done = true;
                await procs[hold.proc].pool.release(hold.key);
              }
              break;
            case 'advance':
              clock.advance(c.ms);
              break;
            case 'promo':
              await procs[0].pool.grant({
                amount: (c.cents / 100).toFixed(2),
                kind: 'promotional',
                expiresAt: clock.now() + c.expiresInMs,
              });
              break;
            case 'reloadNow':
              await procs[c.proc].pool.reloadNow();
              break;
            case 'autoReload':
              await procs[0].pool.setAutoReload(
                c.on ? { threshold: usd('5'), amount: usd('10'), monthlyLimit: usd('200') } : null,
              );
              break;
          }
          await Promise.all(procs.map((p) => p.pool.idle()));
          await checkLedger(store, clock.now(), unbacked, payments);
        }
        await Promise.all(procs.map((p) => p.hub.close()));
      }),
      { numRuns: 150 },
    );
  }, 90_000);
});
