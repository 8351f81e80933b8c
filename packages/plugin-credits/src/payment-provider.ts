import type { GrantKind, GrantRecord, Nanos } from '@drawdown/core';

export interface ChargeInput {
  /** Exact amount in nanodollars. Card providers need whole cents. */
  amount: Nanos;
  /**
   * The same key for a retry of the same payment: a provider must never charge twice for one key
   * (Stripe's `Idempotency-Key`). A new key is used only after a payment definitely failed.
   */
  idempotencyKey: string;
  /** The wallet's customer reference, when configured. */
  customer?: string;
}

export interface ChargeResult {
  /**
   * `succeeded`: the money was taken, a grant follows. `requires_action`: the customer must act
   * (e.g. authenticate the card); nothing was taken. `failed`: definitely not taken (declined).
   * An unknown outcome (timeout) is not a result: the provider throws, and the charge is retried
   * with the same idempotency key.
   */
  status: 'succeeded' | 'requires_action' | 'failed';
  /** Provider reference, e.g. a PaymentIntent id. Never a secret. */
  reference?: string;
  /** Why it did not succeed, in words a person can act on. Never a secret. */
  message?: string;
}

/** Funds an operator adds directly (the manual provider's `grant`). */
export interface GrantFundsInput {
  /** USD decimal string, like `"25.00"`. */
  amount: string;
  /** Default `paid`. Promotional grants are drawn before paid ones of the same priority and expiry. */
  kind?: GrantKind;
  /** When the remainder stops counting (ISO string, epoch ms or Date). Paid grants usually never expire. */
  expiresAt?: string | number | Date;
  /** Lower numbers are drawn first. Default 0. */
  priority?: number;
  /** Why the funds were added; kept in the grant's source. */
  note?: string;
  /** Retrying with the same key adds the grant once. Default: a fresh key (always a new grant). */
  idempotencyKey?: string;
}

/** What a wallet lends its provider, so an operator provider can grant funds directly. */
export interface WalletHandle {
  readonly poolId: string;
  grant(input: GrantFundsInput): Promise<GrantRecord>;
}

/**
 * Takes money for a wallet. `charge` must be idempotent on `idempotencyKey`. The credits wallet
 * creates a grant only after `succeeded`, with a grant id derived from the key, so a retried
 * payment never grants twice.
 */
export interface PaymentProvider {
  readonly id: string;
  charge(input: ChargeInput): Promise<ChargeResult>;
  /** Called once when a wallet starts with this provider. */
  attach?(wallet: WalletHandle): void;
}
