/** Error codes raised by the credits wallet, its payment providers and notifiers. */
export const CreditsErrorCodes = {
  /** A payment's outcome is unknown (timeout, network error, conflict): retry with the same idempotency key. */
  PAYMENT_UNCERTAIN: 'DRAWDOWN_CREDITS_PAYMENT_UNCERTAIN',
  /** An amount cannot be charged as given (not whole cents, not positive). `data.field` names it. */
  INVALID_AMOUNT: 'DRAWDOWN_CREDITS_INVALID_AMOUNT',
  /** An idempotency key is not 1–200 visible characters. `data.field` names it. */
  INVALID_KEY: 'DRAWDOWN_CREDITS_INVALID_KEY',
  /** A grant kind is neither "paid" nor "promotional". `data.field` is `kind`. */
  INVALID_KIND: 'DRAWDOWN_CREDITS_INVALID_KIND',
  /** A grant's `expiresAt` is not a time. `data.field` is `expiresAt`. */
  INVALID_DATE: 'DRAWDOWN_CREDITS_INVALID_DATE',
  /** A grant's `priority` is not a whole number. `data.field` is `priority`. */
  INVALID_PRIORITY: 'DRAWDOWN_CREDITS_INVALID_PRIORITY',
  /** The manual provider was used before a credits wallet took it as its provider. */
  PROVIDER_UNBOUND: 'DRAWDOWN_CREDITS_PROVIDER_UNBOUND',
  /** A provider instance was given to two wallets; each wallet needs its own. */
  PROVIDER_SHARED: 'DRAWDOWN_CREDITS_PROVIDER_SHARED',
  /** A notifier could not deliver an alert after its retries. */
  DELIVERY_FAILED: 'DRAWDOWN_CREDITS_DELIVERY_FAILED',
} as const;

export type CreditsErrorCode = (typeof CreditsErrorCodes)[keyof typeof CreditsErrorCodes];

/** What the input errors carry: the field at fault and, for amounts, the value given. */
export type CreditsInputErrorData = { field: string; value?: string; amount?: number };

declare module '@drawdown/core' {
  interface DrawdownErrorData {
    DRAWDOWN_CREDITS_INVALID_AMOUNT: CreditsInputErrorData;
    DRAWDOWN_CREDITS_INVALID_KEY: CreditsInputErrorData;
    DRAWDOWN_CREDITS_INVALID_KIND: CreditsInputErrorData;
    DRAWDOWN_CREDITS_INVALID_DATE: CreditsInputErrorData;
    DRAWDOWN_CREDITS_INVALID_PRIORITY: CreditsInputErrorData;
  }
}
