import { calendarWindow, compareGrants, usd, type LedgerStore, type Limit } from '@drawdown/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface StoreContractOptions {
  /** A fresh, empty store for each test. */
  create(): Promise<LedgerStore>;
  /** Called after each test with the store `create` returned (close files, drop schemas). */
  dispose?(store: LedgerStore): Promise<void>;
}

const T0 = Date.parse('2026-11-23T12:00:00Z');
const day = (at: number) => calendarWindow('day', at, 'UTC');
const placement = (at: number) => ({ scopes: [day(at).key], day: new Date(at).toISOString().slice(0, 10) });
const cap = (amount: string, scope = 'lifetime'): Limit => ({ kind: 'cap', name: 'trial budget', scope, cap: usd(amount) });

/**
 * The behaviour every `LedgerStore` must show. Run it from a store's own tests:
 *
 * ```ts
 * describeStoreContract('sqlite', { create: async () => sqliteStore({ file: tmpFile() }) });
 * ```
 */
export function describeStoreContract(name: string, options: StoreContractOptions): void {
  describe(`${name} store contract`, () => {
    let store: LedgerStore;
    beforeEach(async () => {
      store = await options.create();
    });
    afterEach(async () => {
      await options.dispose?.(store);
    });

    const reserve = (key: string, amount: string, extra: { now?: number; ttlMs?: number; limits?: Limit[]; account?: string } = {}) =>
      store.reserve({
        account: extra.account ?? 'trial',
        key,
        amount: usd(amount),
        ttlMs: extra.ttlMs ?? 60_000,
        now: extra.now ?? T0,
        limits: extra.limits ?? [cap('5')],
        ...placement(extra.now ?? T0),
      });

    it('admits reservations up to the cap and refuses the one beyond it, naming the limit', async () => {
      for (let i = 0; i < 50; i++) expect((await reserve(`r${i}`, '0.10')).ok).toBe(true);
      const refused = await reserve('r50', '0.10');
      expect(refused).toMatchObject({ ok: false, limit: 'trial budget', available: 0, requested: usd('0.10') });
    });

    it('admits exactly 50 of 1,000 concurrent $0.10 reservations against $5', async () => {
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => reserve(`c${i}`, '0.10')));
      expect(results.filter((r) => r.ok)).toHaveLength(50);
    });

    it('replays a reservation with the same key instead of holding twice', async () => {
      const first = await reserve('same', '1');
      const second = await reserve('same', '1');
      expect(first.ok && second.ok && second.replayed).toBe(true);
      expect((await store.snapshot({ account: 'trial', now: T0 })).held).toBe(usd('1'));
    });

    it('settles a key once however often settle is retried', async () => {
      await reserve('k', '1');
      const first = await store.settle({ account: 'trial', key: 'k', cost: usd('0.40'), now: T0 });
      const again = await store.settle({ account: 'trial', key: 'k', cost: usd('0.40'), now: T0 + 5 });
      const different = await store.settle({ account: 'trial', key: 'k', cost: usd('9'), now: T0 + 9 });
      expect(first.status).toBe('settled');
      expect(again.status).toBe('duplicate');
      expect(different.status).toBe('duplicate');
      const snap = await store.snapshot({ account: 'trial', now: T0 + 10, scopes: [day(T0).key] });
      expect(snap.settled.lifetime).toBe(usd('0.40'));
      expect(snap.settled[day(T0).key]).toBe(usd('0.40'));
      expect(snap.held).toBe(0);
    });

    it('lets an expired hold stop counting without any sweeper, and still records a late settle', async () => {
      await reserve('slow', '5', { ttlMs: 1000 });
      expect((await reserve('blocked', '0.01', { now: T0 + 500 })).ok).toBe(false);
      expect((await reserve('after-expiry', '4', { now: T0 + 1001 })).ok).toBe(true);
      const late = await store.settle({ account: 'trial', key: 'slow', cost: usd('0.75'), now: T0 + 2000 });
      expect(late.status).toBe('settled');
      expect(late.charge.cost).toBe(usd('0.75'));
      expect((await store.snapshot({ account: 'trial', now: T0 + 2000 })).settled.lifetime).toBe(usd('0.75'));
    });

    it('releases a hold so its funds return, and never releases a settled charge', async () => {
      await reserve('a', '5');
      expect(await store.release({ account: 'trial', key: 'a', now: T0 })).toEqual({ status: 'released', amount: usd('5') });
      expect(await store.release({ account: 'trial', key: 'a', now: T0 })).toMatchObject({ status: 'already_released' });
      expect((await reserve('b', '5')).ok).toBe(true);
      await store.settle({ account: 'trial', key: 'b', cost: usd('1'), now: T0 });
      expect(await store.release({ account: 'trial', key: 'b', now: T0 })).toMatchObject({ status: 'already_settled' });
      expect(await store.release({ account: 'trial', key: 'nope', now: T0 })).toMatchObject({ status: 'not_found' });
    });

    it('records a charge that had no hold, in the scopes it is given', async () => {
      const result = await store.settle({ account: 'plan', key: 'turn-1', cost: usd('0.02'), now: T0, ...placement(T0) });
      expect(result).toMatchObject({ status: 'settled', charge: { held: 0, cost: usd('0.02'), day: '2026-11-23' } });
      expect(result.totals.lifetime).toBe(usd('0.02'));
    });

    it('keeps accounts apart, and idempotency keys per account', async () => {
      await reserve('x', '5', { account: 'a' });
      expect((await reserve('x', '5', { account: 'b' })).ok).toBe(true);
      expect((await reserve('y', '0.01', { account: 'a' })).ok).toBe(false);
    });

    it('checks calendar-window caps against that window only', async () => {
      const today = day(T0).key;
      const tomorrowAt = day(T0).end + 1;
      const limits = (at: number) => [{ kind: 'cap' as const, name: 'daily ceiling', scope: day(at).key, cap: usd('2') }];
      await reserve('d1', '2', { limits: limits(T0) });
      await store.settle({ account: 'trial', key: 'd1', cost: usd('2'), now: T0 });
      expect((await reserve('d2', '0.01', { limits: limits(T0) })).ok).toBe(false);
      expect((await reserve('d3', '2', { now: tomorrowAt, limits: limits(tomorrowAt) })).ok).toBe(true);
      const snap = await store.snapshot({ account: 'trial', now: tomorrowAt, scopes: [today, day(tomorrowAt).key] });
      expect(snap.settled[today]).toBe(usd('2'));
      expect(snap.settled[day(tomorrowAt).key]).toBe(0);
    });

    it('draws grants in order (priority, soonest expiry, promotional first, oldest) with one allocation per grant', async () => {
      await store.addGrant({ account: 'w', grantId: 'paid-old', amount: usd('5'), kind: 'paid', now: T0 - 3000 });
      await store.addGrant({ account: 'w', grantId: 'promo', amount: usd('1'), kind: 'promotional', expiresAt: T0 + 86_400_000, now: T0 - 2000 });
      await store.addGrant({ account: 'w', grantId: 'paid-new', amount: usd('5'), kind: 'paid', now: T0 - 1000 });
      const balance: Limit[] = [{ kind: 'balance', name: 'credit balance' }];
      expect((await reserve('w1', '3', { account: 'w', limits: balance })).ok).toBe(true);
      const settled = await store.settle({ account: 'w', key: 'w1', cost: usd('3'), now: T0 });
      expect(settled.charge.allocations).toEqual([
        { grantId: 'promo', amount: usd('1') },
        { grantId: 'paid-old', amount: usd('2') },
      ]);
      const snap = await store.snapshot({ account: 'w', now: T0 });
      expect(snap.granted).toBe(usd('8'));
      expect([...snap.grants].sort(compareGrants).map((g) => g.grantId)).toEqual(snap.grants.map((g) => g.grantId));
    });

    it('stops counting an expired grant at its expiry instant', async () => {
      await store.addGrant({ account: 'w', grantId: 'promo', amount: usd('1'), kind: 'promotional', expiresAt: T0 + 1000, now: T0 });
      const balance: Limit[] = [{ kind: 'balance', name: 'credit balance' }];
      expect((await reserve('before', '1', { account: 'w', limits: balance, now: T0 + 999, ttlMs: 1 })).ok).toBe(true);
      expect((await reserve('at', '0.01', { account: 'w', limits: balance, now: T0 + 1000 })).ok).toBe(false);
      expect((await store.snapshot({ account: 'w', now: T0 + 1000 })).granted).toBe(0);
    });

    it('adds a grant once per grant id', async () => {
      const first = await store.addGrant({ account: 'w', grantId: 'g', amount: usd('10'), kind: 'paid', now: T0 });
      const again = await store.addGrant({ account: 'w', grantId: 'g', amount: usd('10'), kind: 'paid', now: T0 });
      expect([first.status, again.status]).toEqual(['added', 'duplicate']);
      expect((await store.snapshot({ account: 'w', now: T0 })).granted).toBe(usd('10'));
    });

    it('keeps ledger sums equal to reported balances', async () => {
      await store.addGrant({ account: 'w', grantId: 'g', amount: usd('10'), kind: 'paid', now: T0 });
      const balance: Limit[] = [{ kind: 'balance', name: 'credit balance' }];
      for (let i = 0; i < 20; i++) {
        await reserve(`s${i}`, '0.30', { account: 'w', limits: balance });
        if (i % 3 === 0) await store.release({ account: 'w', key: `s${i}`, now: T0 });
        else await store.settle({ account: 'w', key: `s${i}`, cost: usd('0.123456789'), now: T0 });
      }
      const entries = await store.entries({ account: 'w' });
      const charged = entries.filter((e) => e.kind === 'charge').reduce((s, e) => s + (e.kind === 'charge' ? e.record.cost : 0), 0);
      const snap = await store.snapshot({ account: 'w', now: T0 });
      expect(snap.settled.lifetime).toBe(charged);
      expect(snap.granted + snap.settled.lifetime - snap.overdraft).toBe(usd('10'));
    });

    it('reports spend grouped by day, model, pool and route', async () => {
      const meta = (model: string, route: string) => ({ model, route, inputTokens: 10, outputTokens: 5 });
      await store.settle({ account: 'trial', key: 'a', cost: usd('1'), now: T0, ...placement(T0), meta: meta('claude-haiku-4-5', 'trial') });
      await store.settle({ account: 'trial', key: 'b', cost: usd('2'), now: T0, ...placement(T0), meta: meta('claude-opus-4-7', 'trial') });
      await store.settle({ account: 'credits', key: 'c', cost: usd('4'), now: T0 + 86_400_000, ...placement(T0 + 86_400_000), meta: meta('claude-opus-4-7', 'credits') });
      const byModel = await store.report({ fromDay: '2026-11-01', toDay: '2026-11-30', groupBy: ['model'] });
      expect(byModel).toEqual([
        { model: 'claude-haiku-4-5', cost: usd('1'), requests: 1, inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 },
        { model: 'claude-opus-4-7', cost: usd('6'), requests: 2, inputTokens: 20, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 },
      ]);
      const byDayPool = await store.report({ fromDay: '2026-11-24', toDay: '2026-11-24', groupBy: ['day', 'pool'] });
      expect(byDayPool).toEqual([{ day: '2026-11-24', pool: 'credits', cost: usd('4'), requests: 1, inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 }]);
      const byRoute = await store.report({ fromDay: '2026-11-01', toDay: '2026-11-30', groupBy: ['route'], accounts: ['trial'] });
      expect(byRoute.map((r) => [r.route, r.cost])).toEqual([['trial', usd('3')]]);
    });

    it('shares state values and hands a lease to one owner at a time', async () => {
      await store.setState('route.optIns', { credits: true });
      expect(await store.getState('route.optIns')).toEqual({ credits: true });
      expect(await store.getState('missing')).toBeUndefined();
      expect(await store.tryLease({ name: 'reload:w', owner: 'p1', ttlMs: 1000, now: T0 })).toBe(true);
      expect(await store.tryLease({ name: 'reload:w', owner: 'p2', ttlMs: 1000, now: T0 + 10 })).toBe(false);
      expect(await store.tryLease({ name: 'reload:w', owner: 'p2', ttlMs: 1000, now: T0 + 1001 })).toBe(true);
      await store.releaseLease({ name: 'reload:w', owner: 'p1' });
      expect(await store.tryLease({ name: 'reload:w', owner: 'p1', ttlMs: 1000, now: T0 + 1002 })).toBe(false);
      await store.releaseLease({ name: 'reload:w', owner: 'p2' });
      expect(await store.tryLease({ name: 'reload:w', owner: 'p1', ttlMs: 1000, now: T0 + 1003 })).toBe(true);
    });

    it('tells watchers about its own changes', async () => {
      const seen: string[] = [];
      const stop = store.watch((change) => seen.push(`${change.kind}:${change.origin}`));
      await reserve('w', '1');
      await store.settle({ account: 'trial', key: 'w', cost: usd('1'), now: T0 });
      stop();
      await reserve('after-unwatch', '1');
      expect(seen.slice(0, 2)).toEqual(['reserve:local', 'settle:local']);
      expect(seen).not.toContain('reserve:remote');
    });
  });
}
