import { isDrawdownError, usd } from '@drawdown/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stripeProvider, type StripeProviderOptions } from '../src/index.js';
import { wallet } from './helpers.js';
import { stripeServer } from './stripe-server.js';

const API_KEY = 'sk_test_drawdown_loopback_4242';

describe('stripe provider against a loopback Stripe API', () => {
  let server: Awaited<ReturnType<typeof stripeServer>>;
  beforeEach(async () => {
    server = await stripeServer({ apiKey: API_KEY });
  });
  afterEach(async () => {
    await server.close();
  });

  const provider = (overrides: Partial<StripeProviderOptions> = {}) =>
    stripeProvider({
      apiKey: API_KEY,
      customer: 'cus_alice',
      paymentMethod: 'pm_card_visa',
      ...overrides,
      stripe: { ...server.client, maxNetworkRetries: 0, ...overrides.stripe },
    });

  it('charges a saved card off-session with the idempotency key, and replays instead of charging twice', async () => {
    const stripe = provider();
    const first = await stripe.charge({ amount: usd('25'), idempotencyKey: 'order-1' });
    const again = await stripe.charge({ amount: usd('25'), idempotencyKey: 'order-1' });
    expect(first).toEqual({ status: 'succeeded', reference: 'pi_000001' });
    expect(again).toEqual(first);
    expect(server.charged()).toEqual([
      expect.objectContaining({
        amount: 2500,
        currency: 'usd',
        customer: 'cus_alice',
        paymentMethod: 'pm_card_visa',
        idempotencyKey: 'order-1',
      }),
    ]);
    expect(server.requests.map((r) => r.replayed)).toEqual([false, true]);
  });

  it('maps a declined card to failed with the decline code', async () => {
    const result = await provider({ paymentMethod: 'pm_card_chargeDeclined' }).charge({
      amount: usd('10'),
      idempotencyKey: 'k',
    });
    expect(result).toEqual({
      status: 'failed',
      reference: 'pi_000001',
      message: 'card_declined/generic_decline: Your card was declined.',
    });
    expect(server.charged()).toEqual([]);
  });

  it('maps a card that needs authentication to requires_action', async () => {
    expect(
      await provider({ paymentMethod: 'pm_card_authenticationRequired' }).charge({
        amount: usd('10'),
        idempotencyKey: 'k1',
      }),
    ).toMatchObject({ status: 'requires_action' });
    expect(
      await provider({ paymentMethod: 'pm_card_threeDSecureRequired' }).charge({
        amount: usd('10'),
        idempotencyKey: 'k2',
      }),
    ).toMatchObject({ status: 'requires_action', reference: 'pi_000002' });
  });

  it('reports a wrong API key as failed without ever showing the key', async () => {
    const wrongKey = 'sk_test_wrong_key_value_9999';
    const result = await stripeProvider({
      apiKey: wrongKey,
      customer: 'cus_alice',
      paymentMethod: 'pm_card_visa',
      stripe: { ...server.client, maxNetworkRetries: 0 },
    }).charge({
      amount: usd('10'),
      idempotencyKey: 'k',
    });
    expect(result.status).toBe('failed');
    expect(JSON.stringify(result)).not.toContain(wrongKey);
  });

  it('throws PAYMENT_UNCERTAIN when the answer times out, and the retry with the same key charges once', async () => {
    server.slowNext(1, 2000);
    const stripe = provider({ stripe: { timeout: 200 } });
    const error = await stripe.charge({ amount: usd('10'), idempotencyKey: 'slow-1' }).catch((e: unknown) => e);
    expect(isDrawdownError(error, 'DRAWDOWN_CREDITS_PAYMENT_UNCERTAIN')).toBe(true);
    expect((error as Error).message).toContain('retry with the same key');
    expect(await stripe.charge({ amount: usd('10'), idempotencyKey: 'slow-1' })).toEqual({
      status: 'succeeded',
      reference: 'pi_000001',
    });
    expect(server.charged()).toHaveLength(1);
  });

  it('refuses an amount that is not whole cents before calling Stripe', async () => {
    await expect(provider().charge({ amount: usd('10.005'), idempotencyKey: 'k' })).rejects.toMatchObject({
      code: 'DRAWDOWN_CREDITS_INVALID_AMOUNT',
      data: { field: 'amount' },
    });
    expect(server.requests).toHaveLength(0);
  });

  it('validates its options, naming the field and never echoing the key', () => {
    const attempt = (options: Partial<StripeProviderOptions>) => {
      try {
        stripeProvider({ apiKey: API_KEY, customer: 'cus_1', paymentMethod: 'pm_1', ...options });
      } catch (error) {
        return { field: (error as { data: { field: string } }).data.field, message: (error as Error).message };
      }
      return undefined;
    };
    expect(attempt({ apiKey: 'pk_test_publishable' })).toMatchObject({ field: 'apiKey' });
    expect(attempt({ apiKey: 'pk_test_publishable' })!.message).not.toContain('pk_test_publishable');
    expect(attempt({ customer: '' })).toMatchObject({ field: 'customer' });
    expect(attempt({ paymentMethod: undefined as never })).toMatchObject({ field: 'paymentMethod' });
    expect(attempt({ currency: 'US Dollars' })).toMatchObject({ field: 'currency' });
  });

  it('lets a wallet auto-reload through Stripe: a timed-out reload is retried with the same key and charged once', async () => {
    const w = await wallet({
      provider: provider({ stripe: { timeout: 200 } }),
      autoReload: { threshold: '5', amount: '20', backoffMs: [50] },
    });
    expect(await w.pool.addFunds({ amount: usd('6'), idempotencyKey: 'seed' })).toMatchObject({
      status: 'succeeded',
      grantId: 'grant:seed',
    });
    server.slowNext(1, 2000);
    await w.pool.reserve({ key: 'r', amount: usd('2') });
    await w.pool.settle({ key: 'r', cost: usd('2') });
    await w.pool.idle();
    expect(server.charged().map((i) => i.amount)).toEqual([600, 2000]);
    const reloadRequests = server.requests.filter((r) => r.idempotencyKey?.startsWith('reload:'));
    expect(reloadRequests.map((r) => r.replayed)).toEqual([false, true]);
    expect(new Set(reloadRequests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(w.of('credits.reload_failed')).toEqual([expect.objectContaining({ failure: 'uncertain', willRetry: true })]);
    expect(w.of('credits.reloaded')).toEqual([
      expect.objectContaining({ amount: usd('20'), attempts: 2, balance: usd('24') }),
    ]);
    expect((await w.pool.status()).details).toMatchObject({ balanceUsd: '24' });
    expect(JSON.stringify(await w.pool.status())).not.toContain(API_KEY);
  });

  it('turns wallet auto-reload off after repeated card declines', async () => {
    const declining = provider({ paymentMethod: 'pm_card_chargeDeclined' });
    const w = await wallet({
      provider: declining,
      autoReload: { threshold: '5', amount: '20', backoffMs: [0], maxFailures: 2 },
    });
    await w.pool.grant({ amount: '6' });
    await w.pool.reserve({ key: 'r', amount: usd('2') });
    await w.pool.settle({ key: 'r', cost: usd('2') });
    await w.pool.idle();
    expect(w.of('credits.auto_reload_disabled')).toHaveLength(1);
    expect((await w.pool.status()).details).toMatchObject({
      autoReload: { state: 'disabled', disabledReason: expect.stringContaining('card_declined') },
    });
    expect(server.charged()).toEqual([]);
  });
});
