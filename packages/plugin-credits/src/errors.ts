/** Error codes raised by the credits wallet, its payment providers and notifiers. */
export const CreditsErrorCodes = {
  /** A payment's outcome is unknown (timeout, network error, conflict): retry with the same idempotency key. */
  PAYMENT_UNCERTAIN: 'DRAWDOWN_CREDITS_PAYMENT_UNCERTAIN',
  /** An amount cannot be charged as given (not whole cents, not positive). `data.field` names it. */
  INVALID_AMOUNT: 'DRAWDOWN_CREDITS_INVALID_AMOUNT',
  /** The manual provider was used before a credits wallet took it as its provider. */
  PROVIDER_UNBOUND: 'DRAWDOWN_CREDITS_PROVIDER_UNBOUND',
  /** A provider instance was given to two wallets; each wallet needs its own. */
  PROVIDER_SHARED: 'DRAWDOWN_CREDITS_PROVIDER_SHARED',
  /** A notifier could not deliver an alert after its retries. */
  DELIVERY_FAILED: 'DRAWDOWN_CREDITS_DELIVERY_FAILED',
} as const;

export type CreditsErrorCode = (typeof CreditsErrorCodes)[keyof typeof CreditsErrorCodes];
