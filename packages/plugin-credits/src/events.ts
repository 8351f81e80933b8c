import type { GrantKind, Nanos } from '@drawdown/core';

/** Why a reload attempt did not add funds. */
export type ReloadFailure = 'failed' | 'requires_action' | 'uncertain';

declare module '@drawdown/core' {
  interface DrawdownEvents {
    /** Funds were added to a credits wallet (a payment, an operator's grant, a promotion or a reload). */
    'credits.granted': {
      poolId: string;
      grantId: string;
      kind: GrantKind;
      amount: Nanos;
      amountUsd: string;
      expiresAt?: number;
      /** Origin, e.g. `stripe:pi_123` or `manual`. Never a secret. */
      source: string;
      message: string;
      at: number;
    };
    /** An automatic reload bought funds; the grant is stored. Once per reload. */
    'credits.reloaded': {
      poolId: string;
      grantId: string;
      amount: Nanos;
      amountUsd: string;
      /** Balance right after the grant. */
      balance: Nanos;
      balanceUsd: string;
      /** Attempts this reload took (1 when the first charge succeeded). */
      attempts: number;
      message: string;
      at: number;
    };
    /** A reload attempt failed. Once per failed attempt. */
    'credits.reload_failed': {
      poolId: string;
      amount: Nanos;
      amountUsd: string;
      failure: ReloadFailure;
      /** Consecutive failures so far, and how many disable auto-reload. */
      failures: number;
      maxFailures: number;
      /** Whether another attempt follows (after `retryInMs`). */
      willRetry: boolean;
      retryInMs?: number;
      message: string;
      at: number;
    };
    /** Auto-reload turned itself off after repeated failures; `setAutoReload` turns it back on. */
    'credits.auto_reload_disabled': { poolId: string; reason: string; failures: number; message: string; at: number };
  }
}
