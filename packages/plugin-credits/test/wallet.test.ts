import { isDrawdownError, isFundablePool, memoryStore, usd, type LedgerStore } from '@drawdown/core';
import { describe, expect, it } from 'vitest';
import { credits, manualProvider, type CreditsStatusDetails } from '../src/index.js';
import { scriptedProvider, wallet } from './helpers.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');

async function refusedWith(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; data: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (isDrawdownError(error)) return { code: error.code, message: error.message, data: error.data };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('credits wallet', () => {
  it('is a fundable pool of kind credits whose balance starts at zero and refuses spending', async () => {
    const w = await wallet({ provider: manualProvider() });
    expect(isFundablePool(w.pool)).toBe(true);
    expect(w.pool.kind).toBe('credits');
    const status = await w.pool.status();
    expect(status).toMatchObject({ id: 'credits', kind: 'credits', state: 'exhausted', remaining: 0 });
    const refused = await refusedWith(w.pool.reserve({ key: 'r1', amount: usd('0.01') }));
    expect(refused.code).toBe('DRAWDOWN_POOL_EXHAUSTED');
    expect(refused.message).toContain('credit balance is too low');
    expect(refused.message).toContain('add funds');
    expect(refused.data).toMatchObject({ poolId: 'credits', limit: 'credit balance', requested: usd('0.01') });
  });

  it('adds funds only after the payment succeeded, once per idempotency key', async () => {
    const payments = scriptedProvider(['failed', 'succeeded']);
    const w = await wallet({ provider: payments.provider });
    const declined = await w.pool.addFunds({ amount: usd('25'), idempotencyKey: 'order-1' });
    expect(declined).toMatchObject({ status: 'failed', amount: usd('25') });
    expect(declined.message).toContain('not added');
    expect((await w.pool.status()).details).toMatchObject({ balanceUsd: '0' });

    const first = await w.pool.addFunds({ amount: usd('25'), idempotencyKey: 'order-2', note: 'invoice 7' });
    const again = await w.pool.addFunds({ amount: usd('25'), idempotencyKey: 'order-2' });
    expect(first).toMatchObject({ status: 'succeeded', grantId: 'grant:order-2', amount: usd('25') });
    expect(again).toMatchObject({ status: 'succeeded', grantId: 'grant:order-2' });
    expect(payments.payments()).toEqual([usd('25')]);
    expect((await w.pool.status()).details).toMatchObject({ balanceUsd: '25' });
    expect(w.of('credits.granted')).toHaveLength(1);
  });

  it('reports requires_action without granting anything', async () => {
    const w = await wallet({ provider: scriptedProvider(['requires_action']).provider });
    const result = await w.pool.addFunds({ amount: usd('10'), idempotencyKey: 'k' });
    expect(result.status).toBe('requires_action');
    expect(result.message).toContain('confirm');
    expect((await w.store.snapshot({ account: 'credits', now: T0 })).granted).toBe(0);
  });

  it('refuses malformed addFunds input with a coded error naming the field', async () => {
    const w = await wallet({ provider: manualProvider() });
    expect(await refusedWith(w.pool.addFunds({ amount: -5, idempotencyKey: 'k' }))).toMatchObject({
      code: 'DRAWDOWN_CREDITS_INVALID_AMOUNT',
      data: { field: 'amount' },
    });
    expect(await refusedWith(w.pool.addFunds({ amount: 0.5, idempotencyKey: 'k' }))).toMatchObject({
      data: { field: 'amount' },
    });
    expect(await refusedWith(w.pool.addFunds({ amount: usd('1'), idempotencyKey: 'has space' }))).toMatchObject({
      data: { field: 'idempotencyKey' },
    });
  });

  it('draws promotional credits before paid ones and writes one allocation per grant', async () => {
    const manual = manualProvider();
    const w = await wallet({ provider: manual, promotional: [{ id: 'welcome', amount: '5', expiresInDays: 90 }] });
    await manual.grant({ amount: '20', note: 'bank transfer', idempotencyKey: 'transfer-1' });
    await w.pool.reserve({ key: 'r1', amount: usd('8') });
    const settled = await w.pool.settle({ key: 'r1', cost: usd('7.5') });
    expect(settled).toEqual({ status: 'settled', cost: usd('7.5'), overrun: 0 });
    const [charge] = await w.store.entries({ account: 'credits', kinds: ['charge'] });
    expect(charge?.kind === 'charge' && charge.record.allocations).toEqual([
      { grantId: 'promo:welcome', amount: usd('5') },
      { grantId: 'manual:transfer-1', amount: usd('2.5') },
    ]);
    const details = (await w.pool.status()).details as unknown as CreditsStatusDetails;
    expect(details.balanceUsd).toBe('17.5');
    expect(details.grants).toEqual([
      expect.objectContaining({
        grantId: 'manual:transfer-1',
        kind: 'paid',
        remainingUsd: '17.5',
        source: 'manual: bank transfer',
      }),
    ]);
  });

  it('stops counting a promotional grant at its expiry instant', async () => {
    const manual = manualProvider();
    const w = await wallet({ provider: manual });
    await manual.grant({ amount: '3', kind: 'promotional', expiresAt: T0 + 60_000 });
    expect((await w.pool.status()).details).toMatchObject({ balanceUsd: '3' });
    w.clock.set(T0 + 60_000);
    expect((await w.pool.status()).state).toBe('exhausted');
    expect((await refusedWith(w.pool.reserve({ key: 'late', amount: usd('0.01') }))).data).toMatchObject({
      limit: 'credit balance',
    });
  });

  it('adds a configured promotion once however often the wallet starts', async () => {
    const store = memoryStore();
    const options = {
      provider: manualProvider(),
      promotional: [{ id: 'launch', amount: '2', expiresAt: '2027-01-01T00:00:00Z' }],
    };
    await wallet(options, { store });
    const second = await wallet({ ...options, provider: manualProvider() }, { store });
    expect((await second.pool.status()).details).toMatchObject({ balanceUsd: '2' });
  });

  it('keeps a settle exactly once and records a true cost above the hold as overdraft, repaid by the next grant', async () => {
    const manual = manualProvider();
    const w = await wallet({ provider: manual });
    await manual.grant({ amount: '1' });
    await w.pool.reserve({ key: 'big', amount: usd('1') });
    expect(await w.pool.settle({ key: 'big', cost: usd('1.25') })).toEqual({
      status: 'settled',
      cost: usd('1.25'),
      overrun: usd('0.25'),
    });
    expect(await w.pool.settle({ key: 'big', cost: usd('1.25') })).toMatchObject({ status: 'duplicate' });
    expect((await w.pool.status()).details).toMatchObject({ balanceUsd: '-0.25', overdraftUsd: '0.25' });
    await manual.grant({ amount: '10' });
    expect((await w.pool.status()).details).toMatchObject({ balanceUsd: '9.75', overdraftUsd: '0' });
  });

  it('refuses a request beyond the monthly spend limit, naming the limit and when it resets', async () => {
    const manual = manualProvider();
    const w = await wallet({ provider: manual, monthlyLimit: '10' });
    await manual.grant({ amount: '100' });
    await w.pool.reserve({ key: 'a', amount: usd('9') });
    await w.pool.settle({ key: 'a', cost: usd('9') });
    const refused = await refusedWith(w.pool.reserve({ key: 'b', amount: usd('2') }));
    expect(refused.code).toBe('DRAWDOWN_POOL_EXHAUSTED');
    expect(refused.message).toBe(
      'credits: the monthly spend limit of $10.00 is reached; this request needs $2.00 held but only $1.00 is left; it resets Dec 1, 12am (UTC)',
    );
    expect(refused.data).toMatchObject({
      limit: 'monthly spend limit',
      cap: usd('10'),
      resetsAt: Date.parse('2026-12-01T00:00:00Z'),
    });
    expect((await w.pool.reserve({ key: 'c', amount: usd('1') })).amount).toBe(usd('1'));
  });

  it('applies the $2,000 daily redemption ceiling by default', async () => {
    const manual = manualProvider();
    const w = await wallet({ provider: manual });
    await manual.grant({ amount: '5000' });
    await w.pool.reserve({ key: 'a', amount: usd('1999.50') });
    const refused = await refusedWith(w.pool.reserve({ key: 'b', amount: usd('1') }));
    expect(refused.message).toContain('the daily redemption ceiling of $2,000.00 is reached');
    expect(refused.message).toContain('it resets Nov 24, 12am (UTC)');
  });

  it('reports balance, grants, caps with reset times and the auto-reload policy as JSON-safe status', async () => {
    const manual = manualProvider();
    const w = await wallet({
      provider: manual,
      monthlyLimit: '100',
      autoReload: { threshold: '5', amount: '20', monthlyLimit: '200' },
    });
    await manual.grant({ amount: '50' });
    await w.pool.reserve({ key: 'a', amount: usd('3') });
    await w.pool.settle({ key: 'a', cost: usd('2.123456789') });
    await w.pool.reserve({ key: 'b', amount: usd('1') });
    const status = await w.pool.status();
    expect(JSON.parse(JSON.stringify(status))).toEqual(status);
    expect(status).toMatchObject({ state: 'available', held: usd('1'), remaining: usd('46.876543211') });
    expect(status.summary).toBe(
      '$46.88 of credits available; $2.12 of the $100.00 monthly spend limit used; $2.12 of the $2,000.00 daily redemption ceiling used',
    );
    const details = status.details as unknown as CreditsStatusDetails;
    expect(details).toMatchObject({
      provider: 'manual',
      balanceUsd: '47.876543211',
      availableUsd: '46.876543211',
      heldUsd: '1',
      unlimited: [],
      autoReload: {
        state: 'armed',
        policy: { thresholdUsd: '5', amountUsd: '20', monthlyLimitUsd: '200' },
        failures: 0,
        maxFailures: 3,
        reloadedThisMonthUsd: '0',
      },
    });
    expect(details.caps).toEqual([
      {
        name: 'monthly spend limit',
        period: 'month',
        limitUsd: '100',
        spentUsd: '2.123456789',
        leftUsd: '96.876543211',
        resetsAt: Date.parse('2026-12-01T00:00:00Z'),
      },
      {
        name: 'daily redemption ceiling',
        period: 'day',
        limitUsd: '2000',
        spentUsd: '2.123456789',
        leftUsd: '1996.876543211',
        resetsAt: Date.parse('2026-11-24T00:00:00Z'),
      },
    ]);
  });

  it('never lets a provider secret or customer key reach status', async () => {
    const provider = { id: 'custom', charge: async () => ({ status: 'succeeded' as const, reference: 'pay_1' }) };
    const w = await wallet({ provider, customer: 'cus_secretish' });
    await w.pool.addFunds({ amount: usd('5'), idempotencyKey: 'k1' });
    expect(JSON.stringify(await w.pool.status())).not.toContain('cus_secretish');
  });
});

describe('credits options', () => {
  const provider = manualProvider();
  const fails = (options: Record<string, unknown>, field: string) => {
    try {
      credits({ provider, ...options } as never);
    } catch (error) {
      expect(isDrawdownError(error, 'DRAWDOWN_INVALID_OPTION')).toBe(true);
      expect((error as { data: { field: string } }).data.field).toBe(field);
      return;
    }
    throw new Error(`expected ${field} to be refused`);
  };

  it('names the field that is wrong', () => {
    fails({ provider: undefined }, 'provider');
    fails({ id: 'has space' }, 'id');
    fails({ monthlyLimit: 'lots' }, 'monthlyLimit');
    fails({ monthlyLimit: '-5' }, 'monthlyLimit');
    fails({ dailyCeiling: '0' }, 'dailyCeiling');
    fails({ autoReload: { amount: '10' } }, 'autoReload.threshold');
    fails({ autoReload: { threshold: '5' } }, 'autoReload.amount');
    fails({ autoReload: { threshold: '5', amount: '10', targetBalance: '20' } }, 'autoReload.amount');
    fails({ autoReload: { threshold: '5', targetBalance: '4' } }, 'autoReload.targetBalance');
    fails({ autoReload: { threshold: '5', amount: '10', maxFailures: 0 } }, 'autoReload.maxFailures');
    fails({ autoReload: { threshold: '5', amount: '10', backoffMs: [10, -1] } }, 'autoReload.backoffMs[1]');
    fails({ alerts: { monthlyLimitShares: [0.5, 1] } }, 'alerts.monthlyLimitShares[1]');
    fails({ alerts: { balanceBelow: ['x'] } }, 'alerts.balanceBelow[0]');
    fails({ promotional: [{ id: 'p', amount: '5', expiresAt: 'soon' }] }, 'promotional[0].expiresAt');
    fails({ customer: '' }, 'customer');
    fails({ reloadLeaseMs: 5 }, 'reloadLeaseMs');
  });

  it('accepts unlimited caps', async () => {
    const w = await wallet({ provider: manualProvider(), monthlyLimit: 'unlimited', dailyCeiling: 'unlimited' });
    const details = (await w.pool.status()).details as unknown as CreditsStatusDetails;
    expect(details.caps).toEqual([]);
    expect(details.unlimited).toEqual(['monthly spend limit', 'daily redemption ceiling']);
  });
});

describe('manual provider', () => {
  it('refuses to grant before a wallet uses it, and to fund two wallets', async () => {
    const manual = manualProvider();
    await expect(manual.grant({ amount: '5' })).rejects.toMatchObject({ code: 'DRAWDOWN_CREDITS_PROVIDER_UNBOUND' });
    const store: LedgerStore = memoryStore();
    await wallet({ provider: manual, id: 'a' }, { store });
    await expect(wallet({ provider: manual, id: 'b' }, { store })).rejects.toMatchObject({
      code: 'DRAWDOWN_CREDITS_PROVIDER_SHARED',
    });
  });

  it('refuses a grant amount that is not a positive USD string', async () => {
    const manual = manualProvider();
    await wallet({ provider: manual });
    await expect(manual.grant({ amount: '-1' })).rejects.toMatchObject({
      code: 'DRAWDOWN_CREDITS_INVALID_AMOUNT',
      data: { field: 'amount' },
    });
    await expect(manual.grant({ amount: 5 as never })).rejects.toMatchObject({ data: { field: 'amount' } });
    await expect(manual.grant({ amount: '5', expiresAt: 'never' })).rejects.toMatchObject({
      data: { field: 'expiresAt' },
    });
  });

  it('names a bad key, kind, date or priority with its own code, not the amount code', async () => {
    const manual = manualProvider();
    const w = await wallet({ provider: manual });
    await expect(w.pool.addFunds({ amount: usd('1'), idempotencyKey: 'has space' })).rejects.toMatchObject({
      code: 'DRAWDOWN_CREDITS_INVALID_KEY',
      data: { field: 'idempotencyKey' },
    });
    await expect(manual.grant({ amount: '5', kind: 'gift' as never })).rejects.toMatchObject({
      code: 'DRAWDOWN_CREDITS_INVALID_KIND',
      data: { field: 'kind' },
    });
    await expect(manual.grant({ amount: '5', expiresAt: 'never' })).rejects.toMatchObject({
      code: 'DRAWDOWN_CREDITS_INVALID_DATE',
      data: { field: 'expiresAt' },
    });
    await expect(manual.grant({ amount: '5', priority: 1.5 })).rejects.toMatchObject({
      code: 'DRAWDOWN_CREDITS_INVALID_PRIORITY',
      data: { field: 'priority' },
    });
    const error = await manual.grant({ amount: '5', kind: 'gift' as never }).catch((e: unknown) => e);
    // The guard narrows data by code: no cast to read the field.
    expect(isDrawdownError(error, 'DRAWDOWN_CREDITS_INVALID_KIND') && error.data.field).toBe('kind');
  });
});

describe('addFunds with an unknown payment outcome', () => {
  it('says the outcome is unknown and lets the retry with the same key grant once', async () => {
    const payments = scriptedProvider(['lost']);
    const w = await wallet({ provider: payments.provider });
    const error = await w.pool.addFunds({ amount: usd('10'), idempotencyKey: 'order-9' }).catch((e: unknown) => e);
    expect(isDrawdownError(error, 'DRAWDOWN_CREDITS_PAYMENT_UNCERTAIN')).toBe(true);
    expect((error as Error).message).toContain('retry addFunds with the same idempotencyKey');
    expect(await w.pool.addFunds({ amount: usd('10'), idempotencyKey: 'order-9' })).toMatchObject({
      status: 'succeeded',
      grantId: 'grant:order-9',
    });
    expect(payments.payments()).toEqual([usd('10')]);
    expect((await w.pool.status()).details).toMatchObject({ balanceUsd: '10' });
  });
});
