import { memoryStore, usd } from '@drawdown/core';
import { manualClock } from '@drawdown/testkit';
import { describe, expect, it } from 'vitest';
import type { CreditsStatusDetails } from '../src/index.js';
import { scriptedProvider, wallet, type Wallet } from './helpers.js';

const spend = async (w: Wallet, key: string, amount: string): Promise<void> => {
  await w.pool.reserve({ key, amount: usd(amount) });
  await w.pool.settle({ key, cost: usd(amount) });
};
const details = async (w: Wallet) => (await w.pool.status()).details as unknown as CreditsStatusDetails;
const reload = { threshold: '5', amount: '20', backoffMs: [0] };

describe('auto-reload', () => {
  it('reloads right after the settle that took the balance under the threshold', async () => {
    const payments = scriptedProvider();
    const w = await wallet({ provider: payments.provider, autoReload: reload });
    await w.pool.addFunds({ amount: usd('10'), idempotencyKey: 'first' });
    await spend(w, 'a', '4');
    await w.pool.idle();
    expect(w.of('credits.reloaded')).toHaveLength(0);
    await spend(w, 'b', '2');
    await w.pool.idle();
    expect(w.of('credits.reloaded')).toEqual([
      expect.objectContaining({
        poolId: 'credits',
        amount: usd('20'),
        amountUsd: '20',
        balance: usd('24'),
        balanceUsd: '24',
        attempts: 1,
      }),
    ]);
    expect(payments.payments()).toEqual([usd('10'), usd('20')]);
    expect(await details(w)).toMatchObject({
      balanceUsd: '24',
      autoReload: { state: 'armed', reloadedThisMonthUsd: '20', lastReload: { amountUsd: '20' } },
    });
  });

  it('starts exactly one reload when many settles in two processes cross the threshold at once', async () => {
    const payments = scriptedProvider([], { pauseMs: 5 });
    const store = memoryStore();
    const clock = manualClock();
    const a = await wallet({ provider: payments.provider, autoReload: reload }, { store, clock });
    const b = await wallet({ provider: payments.provider, autoReload: reload }, { store, clock });
    await a.pool.addFunds({ amount: usd('10'), idempotencyKey: 'seed' });
    const holds = Array.from({ length: 20 }, (_, i) => ({ w: i % 2 === 0 ? a : b, key: `r${i}` }));
    for (const { w, key } of holds) await w.pool.reserve({ key, amount: usd('0.50') });
    await Promise.all(holds.map(({ w, key }) => w.pool.settle({ key, cost: usd('0.50') })));
    await Promise.all([a.pool.idle(), b.pool.idle()]);
    expect(payments.payments()).toEqual([usd('10'), usd('20')]);
    expect(payments.maxInFlight()).toBe(1);
    expect([...a.of('credits.reloaded'), ...b.of('credits.reloaded')]).toHaveLength(1);
    expect((await a.pool.status()).details).toMatchObject({ balanceUsd: '20' });
  });

  it('retries a reload whose provider timed out with the same idempotency key and charges once', async () => {
    const payments = scriptedProvider(['succeeded', 'lost']);
    const w = await wallet({ provider: payments.provider, autoReload: reload });
    await w.pool.addFunds({ amount: usd('6'), idempotencyKey: 'seed' });
    await spend(w, 'a', '2');
    await w.pool.idle();
    const reloadKeys = payments.attempts.slice(1).map((c) => c.idempotencyKey);
    expect(reloadKeys).toHaveLength(2);
    expect(new Set(reloadKeys).size).toBe(1);
    expect(payments.payments()).toEqual([usd('6'), usd('20')]);
    expect(w.of('credits.reload_failed')).toEqual([
      expect.objectContaining({ failure: 'uncertain', failures: 1, willRetry: true, retryInMs: 0 }),
    ]);
    expect(w.of('credits.reloaded')).toEqual([
      expect.objectContaining({ attempts: 2, grantId: `grant:${reloadKeys[0]}` }),
    ]);
    expect(await details(w)).toMatchObject({ balanceUsd: '24', autoReload: { failures: 0 } });
  });

  it('turns auto-reload off after the configured number of failures, with the reason in status', async () => {
    const payments = scriptedProvider(['succeeded', 'failed', 'failed', 'failed']);
    const w = await wallet({ provider: payments.provider, autoReload: { ...reload, maxFailures: 3 } });
    await w.pool.addFunds({ amount: usd('6'), idempotencyKey: 'seed' });
    await spend(w, 'a', '2');
    await w.pool.idle();
    const failed = w.of('credits.reload_failed');
    expect(failed.map((f) => [f.failures, f.willRetry])).toEqual([
      [1, true],
      [2, true],
      [3, false],
    ]);
    expect(failed[0]!.message).toContain('card_declined');
    // A definite decline took no money, so each new attempt has its own key.
    expect(new Set(payments.attempts.slice(1).map((c) => c.idempotencyKey)).size).toBe(3);
    expect(w.of('credits.auto_reload_disabled')).toEqual([expect.objectContaining({ failures: 3 })]);
    const off = await details(w);
    expect(off.autoReload.state).toBe('disabled');
    expect(off.autoReload.disabledReason).toContain('3 reload attempts in a row failed (last: card_declined)');

    await spend(w, 'b', '1');
    await w.pool.idle();
    expect(payments.attempts).toHaveLength(4);

    await w.pool.setAutoReload({ threshold: usd('5'), amount: usd('20') });
    await w.pool.idle();
    expect(payments.payments()).toEqual([usd('6'), usd('20')]);
    expect(await details(w)).toMatchObject({ balanceUsd: '23', autoReload: { state: 'armed', failures: 0 } });
  });

  it('turns auto-reload off at once when the payment needs the customer to act', async () => {
    const payments = scriptedProvider(['succeeded', 'requires_action']);
    const w = await wallet({ provider: payments.provider, autoReload: reload });
    await w.pool.addFunds({ amount: usd('6'), idempotencyKey: 'seed' });
    await spend(w, 'a', '2');
    await w.pool.idle();
    expect(w.of('credits.reload_failed')).toEqual([
      expect.objectContaining({ failure: 'requires_action', willRetry: false }),
    ]);
    expect((await details(w)).autoReload.disabledReason).toContain('needs the customer to act');
  });

  it('tops the balance up to a target, rounding the charge up to whole cents', async () => {
    const payments = scriptedProvider();
    const w = await wallet({
      provider: payments.provider,
      autoReload: { threshold: '10', targetBalance: '50', backoffMs: [0] },
    });
    await w.pool.addFunds({ amount: usd('12'), idempotencyKey: 'seed' });
    await spend(w, 'a', '4.665');
    await w.pool.idle();
    expect(payments.payments()).toEqual([usd('12'), usd('42.67')]);
    expect((await details(w)).balanceUsd).toBe('50.005');
  });

  it('reloads no more than the monthly reload limit', async () => {
    const payments = scriptedProvider();
    const w = await wallet({ provider: payments.provider, autoReload: { ...reload, monthlyLimit: '25' } });
    await w.pool.addFunds({ amount: usd('6'), idempotencyKey: 'seed' });
    await spend(w, 'a', '2');
    await w.pool.idle();
    await spend(w, 'b', '20');
    await w.pool.idle();
    await spend(w, 'c', '5');
    await w.pool.idle();
    expect(payments.payments()).toEqual([usd('6'), usd('20'), usd('5')]);
    expect(await w.pool.reloadNow()).toMatchObject({ status: 'limit_reached' });
    expect((await details(w)).autoReload.reloadedThisMonthUsd).toBe('25');
  });

  it('starts a reload when a reservation is refused for lack of funds', async () => {
    const payments = scriptedProvider();
    const w = await wallet({ provider: payments.provider, autoReload: reload });
    await expect(w.pool.reserve({ key: 'r', amount: usd('1') })).rejects.toThrow('an automatic reload is on its way');
    await w.pool.idle();
    expect((await w.pool.reserve({ key: 'r2', amount: usd('1') })).amount).toBe(usd('1'));
  });

  it('resumes an interrupted reload in another process with the same idempotency key', async () => {
    const payments = scriptedProvider(['succeeded', 'lost']);
    const store = memoryStore();
    const clock = manualClock();
    const first = await wallet(
      { provider: payments.provider, autoReload: { ...reload, backoffMs: [600_000] } },
      { store, clock },
    );
    await first.pool.addFunds({ amount: usd('6'), idempotencyKey: 'seed' });
    await spend(first, 'a', '2');
    while (payments.attempts.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    await first.hub.close();
    expect(await first.pool.reloadNow()).toMatchObject({ status: 'closed' });

    const second = await wallet({ provider: payments.provider, autoReload: reload }, { store, clock });
    expect(await second.pool.reloadNow()).toMatchObject({ status: 'reloaded', amount: usd('20') });
    expect(payments.attempts[2]!.idempotencyKey).toBe(payments.attempts[1]!.idempotencyKey);
    expect(payments.payments()).toEqual([usd('6'), usd('20')]);
  });

  it('turns auto-reload off for every process sharing the store', async () => {
    const payments = scriptedProvider();
    const store = memoryStore();
    const clock = manualClock();
    const a = await wallet({ provider: payments.provider, autoReload: reload }, { store, clock });
    const b = await wallet({ provider: payments.provider, autoReload: reload }, { store, clock });
    await a.pool.addFunds({ amount: usd('6'), idempotencyKey: 'seed' });
    await a.pool.setAutoReload(null);
    await spend(b, 'x', '3');
    await b.pool.idle();
    expect(payments.payments()).toEqual([usd('6')]);
    expect(await details(b)).toMatchObject({ autoReload: { state: 'off', policy: null } });
    await expect(a.pool.setAutoReload({ threshold: usd('5') })).rejects.toMatchObject({
      code: 'DRAWDOWN_INVALID_OPTION',
      data: { field: 'policy.amount' },
    });
  });
});
