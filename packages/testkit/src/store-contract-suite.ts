import { usd, type LedgerStore, type Limit, type LimitAccount } from '@drawdown/core';
import { compareGrants, limitHoldKey } from '@drawdown/core/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { day, placement, T0 } from './store-fixtures.js';

export interface StoreContractOptions {
  /** A fresh, empty store for each test. */
  create(): Promise<LedgerStore>;
  /** Called after each test with the store `create` returned (close files, drop schemas). */
  dispose?(store: LedgerStore): Promise<void>;
  /**
   * A second handle on the same ledger, opened the way another process or host would open it.
   * Stores that share a ledger (SQLite, PostgreSQL) provide it; the suite then proves that
   * limits hold across handles and that watchers see the other handle's changes as `remote`.
   * The suite closes the peer.
   */
  openPeer?(store: LedgerStore): Promise<LedgerStore>;
}

/** Polls `check` until it holds (a store's remote changes arrive asynchronously); fails after `timeoutMs`. */
async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const cap = (amount: string, scope = 'lifetime'): Limit => ({
  kind: 'cap',
  name: 'trial budget',
  scope,
  cap: usd(amount),
});
/** A budget level held with reservations: `account` capped at `amount` over its whole life. */
const level = (account: string, amount: string, name = `${account} budget`): LimitAccount => ({
  account,
  limits: [{ kind: 'cap', name, scope: 'lifetime', cap: usd(amount) }],
});

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

    const reserve = (
      key: string,
      amount: string,
      extra: { now?: number; ttlMs?: number; limits?: Limit[]; account?: string; limitAccounts?: LimitAccount[] } = {},
    ) =>
      store.reserve({
        account: extra.account ?? 'trial',
        key,
        amount: usd(amount),
        ttlMs: extra.ttlMs ?? 60_000,
        now: extra.now ?? T0,
        limits: extra.limits ?? [cap('5')],
        ...placement(extra.now ?? T0),
        ...(extra.limitAccounts && { limitAccounts: extra.limitAccounts }),
      });

    it("admits a reservation only if every limit account's limits admit it too, and names the one that refused", async () => {
      const levels = () => [level('org', '3'), level('team', '2'), level('user', '10')];
      expect((await reserve('a', '1.5', { limitAccounts: levels() })).ok).toBe(true);
      expect(await reserve('b', '1', { limitAccounts: levels() })).toMatchObject({
        ok: false,
        account: 'team',
        limit: 'team budget',
        available: usd('0.5'),
        requested: usd('1'),
      });
      // Nothing of a refused reservation is held anywhere.
      for (const account of ['trial', 'org', 'team', 'user'])
        expect((await store.snapshot({ account, now: T0 })).held).toBe(usd('1.5'));
      // The pool's own limits are checked first and name the pool's account.
      expect(await reserve('c', '4', { limitAccounts: levels() })).toMatchObject({ ok: false, account: 'trial' });
      expect((await reserve('d', '0.5', { limitAccounts: levels() })).ok).toBe(true);
      expect((await store.snapshot({ account: 'team', now: T0 })).held).toBe(usd('2'));
    });

    it('admits exactly 50 of 1,000 concurrent $0.10 reservations on 10 pools under one $5 team budget', async () => {
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) =>
          reserve(`t${i}`, '0.10', {
            account: `pool-${i % 10}`,
            limits: [cap('100')],
            limitAccounts: [level(`user-${i % 25}`, '1'), level('team', '5'), level('org', '50')],
          }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(50);
      expect(await store.snapshot({ account: 'team', now: T0 })).toMatchObject({ held: usd('5'), activeHolds: 50 });
    });

    it('counts a settle in each limit account once, with no charge of theirs, and releases their holds with the hold', async () => {
      const levels = [level('team', '5'), { account: 'key', limits: [] }];
      await reserve('s', '1', { limitAccounts: levels });
      await reserve('r', '2', { limitAccounts: levels });
      const first = await store.settle({ account: 'trial', key: 's', cost: usd('0.4'), now: T0 });
      const again = await store.settle({ account: 'trial', key: 's', cost: usd('0.4'), now: T0 + 1 });
      const today = day(T0).key;
      expect(first.limitTotals).toEqual({
        team: { lifetime: usd('0.4'), [today]: usd('0.4') },
        key: { lifetime: usd('0.4'), [today]: usd('0.4') },
      });
      expect(again).toMatchObject({ status: 'duplicate', limitTotals: first.limitTotals });
      expect(await store.release({ account: 'trial', key: 'r', now: T0 })).toMatchObject({ status: 'released' });
      expect(await store.snapshot({ account: 'team', now: T0, scopes: [today] })).toMatchObject({
        settled: { lifetime: usd('0.4'), [today]: usd('0.4') },
        held: 0,
        activeHolds: 0,
      });
      const teamEntries = await store.entries({ account: 'team' });
      expect(teamEntries.map((e) => (e.kind === 'hold' ? `${e.record.key}:${e.record.state}` : e.kind)).sort()).toEqual(
        [`${limitHoldKey('trial', 'r')}:released`, `${limitHoldKey('trial', 's')}:settled`].sort(),
      );
      // Limit accounts record no charges: reports count each request once.
      const rows = await store.report({ fromDay: '2026-11-23', toDay: '2026-11-23', groupBy: [] });
      expect(rows).toMatchObject([{ cost: usd('0.4'), requests: 1 }]);
      // A hold's limit holds expire with it, freeing each level.
      await reserve('x', '4.6', { limitAccounts: levels, ttlMs: 1000 });
      expect((await reserve('y', '0.01', { now: T0 + 999, limitAccounts: levels })).ok).toBe(false);
      expect((await reserve('z', '4.6', { now: T0 + 1000, limitAccounts: levels })).ok).toBe(true);
    });

    it('holds one request on a second pool after the first released it, each with its own limit holds', async () => {
      const levels = [level('team', '5')];
      await reserve('req', '3', { account: 'first', limitAccounts: levels });
      await store.release({ account: 'first', key: 'req', now: T0 });
      expect((await reserve('req', '3', { account: 'second', limitAccounts: levels })).ok).toBe(true);
      await store.settle({ account: 'second', key: 'req', cost: usd('2'), now: T0 });
      expect((await store.snapshot({ account: 'team', now: T0 })).settled.lifetime).toBe(usd('2'));
      expect((await reserve('next', '3', { account: 'first', limitAccounts: levels })).ok).toBe(true);
      expect((await reserve('over', '0.01', { account: 'first', limitAccounts: levels })).ok).toBe(false);
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
      expect(await store.release({ account: 'trial', key: 'a', now: T0 })).toEqual({
        status: 'released',
        amount: usd('5'),
      });
      expect(await store.release({ account: 'trial', key: 'a', now: T0 })).toMatchObject({
        status: 'already_released',
      });
      expect((await reserve('b', '5')).ok).toBe(true);
      await store.settle({ account: 'trial', key: 'b', cost: usd('1'), now: T0 });
      expect(await store.release({ account: 'trial', key: 'b', now: T0 })).toMatchObject({ status: 'already_settled' });
      expect(await store.release({ account: 'trial', key: 'nope', now: T0 })).toMatchObject({ status: 'not_found' });
    });

    it('records a charge that had no hold, in the scopes it is given', async () => {
      const result = await store.settle({
        account: 'plan',
        key: 'turn-1',
        cost: usd('0.02'),
        now: T0,
        ...placement(T0),
      });
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
      const limits = (at: number) => [
        { kind: 'cap' as const, name: 'daily ceiling', scope: day(at).key, cap: usd('2') },
      ];
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
      await store.addGrant({
        account: 'w',
        grantId: 'promo',
        amount: usd('1'),
        kind: 'promotional',
        expiresAt: T0 + 86_400_000,
        now: T0 - 2000,
      });
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
      await store.addGrant({
        account: 'w',
        grantId: 'promo',
        amount: usd('1'),
        kind: 'promotional',
        expiresAt: T0 + 1000,
        now: T0,
      });
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
      const charged = entries
        .filter((e) => e.kind === 'charge')
        .reduce((s, e) => s + (e.kind === 'charge' ? e.record.cost : 0), 0);
      const snap = await store.snapshot({ account: 'w', now: T0 });
      expect(snap.settled.lifetime).toBe(charged);
      expect(snap.granted + snap.settled.lifetime - snap.overdraft).toBe(usd('10'));
    });

    it('reports spend grouped by day, model, pool and route', async () => {
      const meta = (model: string, route: string) => ({ model, route, inputTokens: 10, outputTokens: 5 });
      await store.settle({
        account: 'trial',
        key: 'a',
        cost: usd('1'),
        now: T0,
        ...placement(T0),
        meta: meta('claude-haiku-4-5', 'trial'),
      });
      await store.settle({
        account: 'trial',
        key: 'b',
        cost: usd('2'),
        now: T0,
        ...placement(T0),
        meta: meta('claude-opus-4-7', 'trial'),
      });
      await store.settle({
        account: 'credits',
        key: 'c',
        cost: usd('4'),
        now: T0 + 86_400_000,
        ...placement(T0 + 86_400_000),
        meta: meta('claude-opus-4-7', 'credits'),
      });
      const byModel = await store.report({ fromDay: '2026-11-01', toDay: '2026-11-30', groupBy: ['model'] });
      expect(byModel).toEqual([
        {
          model: 'claude-haiku-4-5',
          cost: usd('1'),
          requests: 1,
          inputTokens: 10,
          outputTokens: 5,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        },
        {
          model: 'claude-opus-4-7',
          cost: usd('6'),
          requests: 2,
          inputTokens: 20,
          outputTokens: 10,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        },
      ]);
      const byDayPool = await store.report({ fromDay: '2026-11-24', toDay: '2026-11-24', groupBy: ['day', 'pool'] });
      expect(byDayPool).toEqual([
        {
          day: '2026-11-24',
          pool: 'credits',
          cost: usd('4'),
          requests: 1,
          inputTokens: 10,
          outputTokens: 5,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        },
      ]);
      const byRoute = await store.report({
        fromDay: '2026-11-01',
        toDay: '2026-11-30',
        groupBy: ['route'],
        accounts: ['trial'],
      });
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

    it('counts within a fixed window up to each limit, adding all counters of a call or none', async () => {
      const minute = 60_000;
      const at = T0 + 5_000; // T0 is a whole minute: this window is [T0, T0 + 1 min)
      const take = (amount: number, tokens: number, now = at) =>
        store.countInWindow({
          counters: [
            { name: 'key:a:rpm', amount, limit: 3 },
            { name: 'key:a:tpm', amount: tokens, limit: 1000 },
          ],
          windowMs: minute,
          now,
        });
      expect(await take(1, 400)).toEqual({ ok: true, counts: [1, 400], windowEnd: T0 + minute });
      expect(await take(1, 700)).toEqual({ ok: false, counts: [1, 400], refused: 1, windowEnd: T0 + minute });
      expect(await take(1, 600)).toEqual({ ok: true, counts: [2, 1000], windowEnd: T0 + minute });
      // A counter without a limit always adds, and a negative amount gives back.
      expect(
        await store.countInWindow({ counters: [{ name: 'key:a:tpm', amount: -300 }], windowMs: minute, now: at }),
      ).toEqual({ ok: true, counts: [700], windowEnd: T0 + minute });
      expect(await take(1, 300)).toMatchObject({ ok: true, counts: [3, 1000] });
      expect(await take(1, 0)).toMatchObject({ ok: false, counts: [3, 1000], refused: 0 });
      // The next window starts from zero; a give-back to the old one then changes nothing.
      expect(await take(1, 10, T0 + minute)).toEqual({ ok: true, counts: [1, 10], windowEnd: T0 + 2 * minute });
      expect(
        await store.countInWindow({ counters: [{ name: 'key:a:tpm', amount: -500 }], windowMs: minute, now: at }),
      ).toMatchObject({ ok: true });
      expect(await take(0, 0, T0 + minute + 1)).toMatchObject({ counts: [1, 10] });
    });

    it('admits exactly the limit of 200 concurrent counts in one window', async () => {
      const results = await Promise.all(
        Array.from({ length: 200 }, () =>
          store.countInWindow({ counters: [{ name: 'key:b:rpm', amount: 1, limit: 37 }], windowMs: 60_000, now: T0 }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(37);
      expect(Math.max(...results.map((r) => r.counts[0]!))).toBe(37);
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

    it('reports an account it has never seen as empty', async () => {
      const snap = await store.snapshot({ account: 'never', now: T0, scopes: [day(T0).key] });
      expect(snap).toEqual({
        account: 'never',
        settled: { lifetime: 0, [day(T0).key]: 0 },
        held: 0,
        activeHolds: 0,
        grants: [],
        granted: 0,
        overdraft: 0,
      });
    });

    it('records the true cost when it exceeds the hold, and the hold stops counting', async () => {
      await reserve('over', '1');
      const result = await store.settle({ account: 'trial', key: 'over', cost: usd('1.25'), now: T0 });
      expect(result.charge).toMatchObject({ cost: usd('1.25'), held: usd('1') });
      const snap = await store.snapshot({ account: 'trial', now: T0 });
      expect([snap.settled.lifetime, snap.held, snap.activeHolds]).toEqual([usd('1.25'), 0, 0]);
      expect(await reserve('over', '1')).toMatchObject({ ok: true, replayed: true, hold: { state: 'settled' } });
    });

    it('counts spend and holds together against a cap', async () => {
      await reserve('spent', '3');
      await store.settle({ account: 'trial', key: 'spent', cost: usd('3'), now: T0 });
      await reserve('held', '1.5');
      expect(await reserve('too-much', '0.51')).toMatchObject({ ok: false, available: usd('0.5') });
      expect((await reserve('fits', '0.5')).ok).toBe(true);
    });

    it('refuses a balance reservation on an account without grants', async () => {
      const result = await reserve('none', '0.01', {
        account: 'empty',
        limits: [{ kind: 'balance', name: 'credit balance' }],
      });
      expect(result).toMatchObject({ ok: false, limit: 'credit balance', available: 0 });
    });

    it('records what no grant covers as overdraft, and lets the next grant pay it first', async () => {
      await store.addGrant({ account: 'w', grantId: 'g1', amount: usd('1'), kind: 'paid', now: T0 });
      const settled = await store.settle({ account: 'w', key: 'big', cost: usd('1.5'), now: T0, ...placement(T0) });
      expect(settled.charge).toMatchObject({
        allocations: [{ grantId: 'g1', amount: usd('1') }],
        overdraft: usd('0.5'),
      });
      expect(await store.snapshot({ account: 'w', now: T0 })).toMatchObject({ granted: 0, overdraft: usd('0.5') });
      const topUp = await store.addGrant({ account: 'w', grantId: 'g2', amount: usd('2'), kind: 'paid', now: T0 + 1 });
      expect(topUp.grant.remaining).toBe(usd('1.5'));
      expect(await store.snapshot({ account: 'w', now: T0 + 1 })).toMatchObject({ granted: usd('1.5'), overdraft: 0 });
    });

    it('returns duplicate with unchanged totals when a charge without a hold is reported again', async () => {
      const first = await store.settle({ account: 'plan', key: 'turn', cost: usd('0.02'), now: T0, ...placement(T0) });
      const again = await store.settle({
        account: 'plan',
        key: 'turn',
        cost: usd('0.05'),
        now: T0 + 1,
        ...placement(T0),
      });
      expect(again.status).toBe('duplicate');
      expect(again.charge.cost).toBe(usd('0.02'));
      expect(again.totals).toEqual(first.totals);
    });

    it('lists entries by account and kind, with the merged meta of hold and charge', async () => {
      await reserve('e1', '1', { account: 'a' });
      await store.settle({
        account: 'a',
        key: 'e1',
        cost: usd('0.5'),
        now: T0,
        meta: { model: 'claude-haiku-4-5', outputTokens: 7 },
      });
      await reserve('e2', '1', { account: 'b' });
      const charges = await store.entries({ account: 'a', kinds: ['charge'] });
      expect(charges).toEqual([
        {
          kind: 'charge',
          record: {
            account: 'a',
            key: 'e1',
            cost: usd('0.5'),
            held: usd('1'),
            settledAt: T0,
            day: '2026-11-23',
            allocations: [],
            overdraft: 0,
          },
          meta: { model: 'claude-haiku-4-5', outputTokens: 7 },
        },
      ]);
      const holds = await store.entries({ kinds: ['hold'] });
      expect(holds.map((e) => [e.record.account, e.kind === 'hold' && e.record.state])).toEqual([
        ['a', 'settled'],
        ['b', 'held'],
      ]);
    });

    it('sums spend per hour: charges of a positive cost once per key, none of limit accounts', async () => {
      const charge = (key: string, cost: string, at: number) =>
        store.settle({ account: 'trial', key, cost: usd(cost), now: at, ...placement(at) });
      await charge('a', '0.10', T0 + 1_000);
      await charge('b', '0.30', T0 + 2_000);
      await charge('c', '0.20', T0 + 500); // earlier than those before it: the hour's new first charge
      await charge('free', '0', T0 + 3_000);
      await charge('a', '0.10', T0 + 4_000); // a retried settle counts once
      await reserve('held', '1', { now: T0 + 2_500, limitAccounts: [level('team', '10')] });
      await store.settle({ account: 'trial', key: 'held', cost: usd('0.40'), now: T0 + 2_500 });
      await charge('later', '0.05', T0 + 3_600_010);
      const firstHour = {
        start: T0,
        charges: 4,
        cost: usd('1'),
        firstAt: T0 + 500,
        firstCost: usd('0.20'),
        lastAt: T0 + 2_500,
        costMs: usd('0.10') * 1_000 + usd('0.30') * 2_000 + usd('0.20') * 500 + usd('0.40') * 2_500,
      };
      const secondHour = {
        start: T0 + 3_600_000,
        charges: 1,
        cost: usd('0.05'),
        firstAt: T0 + 3_600_010,
        firstCost: usd('0.05'),
        lastAt: T0 + 3_600_010,
        costMs: usd('0.05') * 10,
      };
      expect(await store.spendByHour({ account: 'trial', since: T0 - 1 })).toEqual([firstHour, secondHour]);
      // An hour whose first charge is not after `since` is left out whole.
      expect(await store.spendByHour({ account: 'trial', since: T0 + 500 })).toEqual([secondHour]);
      expect(await store.spendByHour({ account: 'team', since: T0 - 1 })).toEqual([]);
      expect(await store.spendByHour({ account: 'nobody', since: T0 - 1 })).toEqual([]);
    });

    it('reports nothing for a range without charges, and one total row without grouping', async () => {
      await store.settle({ account: 'trial', key: 'a', cost: usd('1'), now: T0, ...placement(T0) });
      await store.settle({
        account: 'other',
        key: 'b',
        cost: usd('2'),
        now: T0,
        ...placement(T0),
        meta: { cacheReadTokens: 3, cacheWriteTokens: 4 },
      });
      expect(await store.report({ fromDay: '2026-12-01', toDay: '2026-12-31', groupBy: ['day'] })).toEqual([]);
      expect(await store.report({ fromDay: '2026-11-23', toDay: '2026-11-23', groupBy: [] })).toEqual([
        { cost: usd('3'), requests: 2, inputTokens: 0, outputTokens: 0, cacheReadTokens: 3, cacheWriteTokens: 4 },
      ]);
      expect(
        await store.report({ fromDay: '2026-11-23', toDay: '2026-11-23', groupBy: ['pool', 'model', 'route'] }),
      ).toEqual([
        {
          pool: 'other',
          model: 'unknown',
          route: 'direct',
          cost: usd('2'),
          requests: 1,
          inputTokens: 0,
          outputTokens: 0,
          cacheReadTokens: 3,
          cacheWriteTokens: 4,
        },
        {
          pool: 'trial',
          model: 'unknown',
          route: 'direct',
          cost: usd('1'),
          requests: 1,
          inputTokens: 0,
          outputTokens: 0,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
        },
      ]);
    });

    it('overwrites a state value and tells watchers about it', async () => {
      const seen: string[] = [];
      const stop = store.watch((change) => seen.push(`${change.kind}:${change.key}:${change.origin}`));
      await store.setState('policy', { v: 1 });
      await store.setState('policy', { v: 2 });
      stop();
      expect(await store.getState('policy')).toEqual({ v: 2 });
      expect(seen).toEqual(['state:policy:local', 'state:policy:local']);
    });

    it('keeps working for other watchers when one watcher throws', async () => {
      const seen: string[] = [];
      const stopBad = store.watch(() => {
        throw new Error('listener failure');
      });
      const stop = store.watch((change) => seen.push(change.kind));
      expect((await reserve('ok', '1')).ok).toBe(true);
      stopBad();
      stop();
      expect(seen).toEqual(['reserve']);
    });

    it('refuses every request after close with DRAWDOWN_STORE_UNAVAILABLE', async () => {
      const closing = await options.create();
      await closing.close();
      await expect(closing.snapshot({ account: 'trial', now: T0 })).rejects.toMatchObject({
        code: 'DRAWDOWN_STORE_UNAVAILABLE',
      });
      await expect(
        closing.reserve({
          account: 'trial',
          key: 'k',
          amount: usd('1'),
          ttlMs: 1000,
          now: T0,
          limits: [],
          ...placement(T0),
        }),
      ).rejects.toMatchObject({ code: 'DRAWDOWN_STORE_UNAVAILABLE' });
    });

    describe('shared by several handles', { skip: options.openPeer === undefined }, () => {
      let peer: LedgerStore;
      beforeEach(async () => {
        peer = await options.openPeer!(store);
      });
      afterEach(async () => {
        await peer.close();
      });

      it('admits exactly 50 of 1,000 concurrent $0.10 reservations split across two handles', async () => {
        const results = await Promise.all(
          Array.from({ length: 1000 }, (_, i) =>
            (i % 2 === 0 ? store : peer).reserve({
              account: 'trial',
              key: `p${i}`,
              amount: usd('0.10'),
              ttlMs: 60_000,
              now: T0,
              limits: [cap('5')],
              ...placement(T0),
            }),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(50);
        expect((await peer.snapshot({ account: 'trial', now: T0 })).held).toBe(usd('5'));
      });

      it('admits exactly the limit of 400 concurrent counts split across two handles', async () => {
        const results = await Promise.all(
          Array.from({ length: 400 }, (_, i) =>
            (i % 2 === 0 ? store : peer).countInWindow({
              counters: [
                { name: 'key:c:rpm', amount: 1, limit: 1000 },
                { name: 'key:c:tpm', amount: 100, limit: 12_345 },
              ],
              windowMs: 60_000,
              now: T0 + i,
            }),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(123);
        expect(results.filter((r) => !r.ok).every((r) => r.refused === 1)).toBe(true);
      });

      it('admits exactly 50 of 1,000 concurrent reservations across two handles and 20 pools under one $5 team budget', async () => {
        const results = await Promise.all(
          Array.from({ length: 1000 }, (_, i) =>
            (i % 2 === 0 ? store : peer).reserve({
              account: `pool-${i % 20}`,
              key: `lv${i}`,
              amount: usd('0.10'),
              ttlMs: 60_000,
              now: T0,
              limits: [],
              ...placement(T0),
              limitAccounts: [level(`key-${i % 100}`, '1'), level('team', '5'), level('org', '100')],
            }),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(50);
        expect((await peer.snapshot({ account: 'team', now: T0 })).held).toBe(usd('5'));
      });

      it('settles a key once even when both handles settle it', async () => {
        await reserve('both', '1');
        const results = await Promise.all([
          store.settle({ account: 'trial', key: 'both', cost: usd('0.7'), now: T0 }),
          peer.settle({ account: 'trial', key: 'both', cost: usd('0.7'), now: T0 }),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual(['duplicate', 'settled']);
        expect((await store.snapshot({ account: 'trial', now: T0 })).settled.lifetime).toBe(usd('0.7'));
      });

      it("delivers the other handle's changes to watchers as remote, and its own once as local", async () => {
        const seen: string[] = [];
        const stop = store.watch((change) =>
          seen.push(`${change.kind}:${change.account ?? '-'}:${change.key}:${change.origin}`),
        );
        await reserve('mine', '1');
        await peer.reserve({
          account: 'shared',
          key: 'theirs',
          amount: usd('1'),
          ttlMs: 60_000,
          now: T0,
          limits: [cap('5')],
          ...placement(T0),
        });
        await peer.setState('route.optIns', { credits: true });
        await eventually(
          () => seen.includes('state:-:route.optIns:remote'),
          "the peer's state change to reach the watcher",
        );
        stop();
        expect(seen).toEqual([
          'reserve:trial:mine:local',
          'reserve:shared:theirs:remote',
          'state:-:route.optIns:remote',
        ]);
      });
    });
  });
}
