import { DrawdownError, invalidOption, type Nanos } from '@drawdown/core';
import { importOptional } from '@drawdown/core/internal';
import type Stripe from 'stripe';
import { CreditsErrorCodes } from './errors.js';
import type { ChargeInput, ChargeResult, PaymentProvider } from './payment-provider.js';

export interface StripeProviderOptions {
  /** Secret key (`sk_live_…`, `sk_test_…`) or a restricted key allowed to create PaymentIntents. Never logged or shown. */
  apiKey: string;
  /** The Stripe customer whose saved payment method is charged (`cus_…`). */
  customer: string;
  /** A payment method saved for off-session use (`pm_…`). */
  paymentMethod: string;
  /** Default `usd`. Wallet amounts are USD; only change this if your Stripe account settles USD differently. */
  currency?: string;
  /** Description of each PaymentIntent, seen in the Stripe dashboard. Default "drawdown credits". */
  description?: string;
  /** Client options for the `stripe` SDK: a different host for tests (`host`, `port`, `protocol: 'http'`), timeouts, retries. */
  stripe?: {
    host?: string;
    port?: number | string;
    protocol?: 'http' | 'https';
    timeout?: number;
    maxNetworkRetries?: number;
  };
}

const NANOS_PER_CENT = 10_000_000;
/** Kept in step with the optional peer range in package.json. */
const STRIPE_RANGE = '^23.1.0';

interface StripeErrorLike {
  type?: string;
  code?: string;
  decline_code?: string;
  message?: string;
  statusCode?: number;
  raw?: { payment_intent?: { id?: string } };
}

/**
 * Charges a saved card off-session with a Stripe PaymentIntent (`confirm: true, off_session:
 * true`), passing the wallet's idempotency key as Stripe's `Idempotency-Key`, so a retried charge
 * replays the first one instead of paying twice. Outcomes: `succeeded`; `requires_action` when the
 * card needs the customer to authenticate; `failed` for declines and definite refusals. Timeouts,
 * network and server errors throw DRAWDOWN_CREDITS_PAYMENT_UNCERTAIN: retry with the same key.
 */
export function stripeProvider(options: StripeProviderOptions): PaymentProvider {
  const owner = 'stripeProvider';
  if (!options || typeof options !== 'object')
    throw invalidOption(owner, 'options', 'are missing', 'Pass { apiKey, customer, paymentMethod }.');
  if (typeof options.apiKey !== 'string' || !/^(sk|rk)_\S+$/.test(options.apiKey)) {
    throw invalidOption(
      owner,
      'apiKey',
      'is not a Stripe secret or restricted key',
      'Pass the key that starts with "sk_" or "rk_", e.g. from process.env.STRIPE_SECRET_KEY.',
    );
  }
  for (const field of ['customer', 'paymentMethod'] as const) {
    if (typeof options[field] !== 'string' || options[field].trim() === '') {
      throw invalidOption(
        owner,
        field,
        'is missing',
        field === 'customer'
          ? 'Pass the Stripe customer id, like "cus_123".'
          : 'Pass a payment method saved for off-session use, like "pm_123".',
      );
    }
  }
  const currency = options.currency ?? 'usd';
  if (!/^[a-z]{3}$/.test(currency))
    throw invalidOption(owner, 'currency', `is "${currency}"`, 'Use a three-letter lower-case ISO code, like "usd".');
  const apiKey = options.apiKey;
  const scrub = (text: string): string => text.split(apiKey).join('[redacted]');
  let client: Promise<Stripe> | undefined;

  const connect = (): Promise<Stripe> =>
    // `stripe` is an optional peer dependency: only users of this provider install it.
    (client ??= importOptional('stripe', STRIPE_RANGE, 'stripeProvider()', () => import('stripe')).then(
      ({ default: StripeClient }) => {
        const s = options.stripe ?? {};
        return new StripeClient(apiKey, {
          timeout: s.timeout ?? 30_000,
          maxNetworkRetries: s.maxNetworkRetries ?? 1,
          telemetry: false,
          ...(s.host !== undefined && { host: s.host }),
          ...(s.port !== undefined && { port: s.port }),
          ...(s.protocol !== undefined && { protocol: s.protocol }),
        });
      },
    ));

  function cents(amount: Nanos): number {
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount % NANOS_PER_CENT !== 0) {
      throw new DrawdownError(
        CreditsErrorCodes.INVALID_AMOUNT,
        `Stripe charges whole cents; ${String(amount)} nanodollars is not a positive whole number of cents. Round the amount to cents.`,
        {
          data: { field: 'amount', amount },
        },
      );
    }
    return amount / NANOS_PER_CENT;
  }

  function fromError(error: unknown, key: string): ChargeResult {
    const e = (error ?? {}) as StripeErrorLike;
    const reference = e.raw?.payment_intent?.id;
    const detail = `${[e.code, e.decline_code].filter(Boolean).join('/') || e.type || 'error'}: ${scrub(e.message ?? 'no message')}`;
    if (e.type === 'StripeCardError') {
      const status = e.code === 'authentication_required' ? 'requires_action' : 'failed';
      return { status, message: detail, ...(reference !== undefined && { reference }) };
    }
    // Refusals before any money moved: bad parameters, keys or permissions.
    if (
      e.type === 'StripeInvalidRequestError' ||
      e.type === 'StripeAuthenticationError' ||
      e.type === 'StripePermissionError'
    ) {
      return { status: 'failed', message: detail };
    }
    throw new DrawdownError(
      CreditsErrorCodes.PAYMENT_UNCERTAIN,
      `the Stripe charge for idempotency key "${key}" has no known outcome (${detail}); retry with the same key, which cannot charge twice`,
      {
        data: {
          provider: 'stripe',
          idempotencyKey: key,
          type: e.type ?? 'unknown',
          ...(e.code !== undefined && { code: e.code }),
          ...(e.statusCode !== undefined && { statusCode: e.statusCode }),
        },
      },
    );
  }

  return {
    id: 'stripe',
    async charge(input: ChargeInput): Promise<ChargeResult> {
      const amount = cents(input.amount);
      const stripe = await connect();
      let intent: Stripe.PaymentIntent;
      try {
        intent = await stripe.paymentIntents.create(
          {
            amount,
            currency,
            customer: input.customer ?? options.customer,
            payment_method: options.paymentMethod,
            confirm: true,
            off_session: true,
            description: options.description ?? 'drawdown credits',
            metadata: { drawdown_idempotency_key: input.idempotencyKey },
          },
          { idempotencyKey: input.idempotencyKey },
        );
      } catch (error) {
        return fromError(error, input.idempotencyKey);
      }
      if (intent.status === 'succeeded') return { status: 'succeeded', reference: intent.id };
      if (intent.status === 'requires_action' || intent.status === 'requires_confirmation') {
        return {
          status: 'requires_action',
          reference: intent.id,
          message: `payment ${intent.id} needs the customer to authenticate`,
        };
      }
      if (intent.status === 'processing') {
        throw new DrawdownError(
          CreditsErrorCodes.PAYMENT_UNCERTAIN,
          `payment ${intent.id} is still processing; retry with the same idempotency key to learn its outcome`,
          {
            data: { provider: 'stripe', idempotencyKey: input.idempotencyKey, reference: intent.id },
          },
        );
      }
      return { status: 'failed', reference: intent.id, message: `payment ${intent.id} ended as ${intent.status}` };
    },
  };
}
