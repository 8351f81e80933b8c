import { DrawdownError, type GrantRecord } from '@drawdown/core';
import { CreditsErrorCodes } from './errors.js';
import type { GrantFundsInput, PaymentProvider, WalletHandle } from './payment-provider.js';

export interface ManualProvider extends PaymentProvider {
  readonly id: 'manual';
  /** Adds funds an operator received or gives away (a transfer, a refund, a promotion). */
  grant(input: GrantFundsInput): Promise<GrantRecord>;
}

/**
 * Funds added by an operator rather than a card: `addFunds` records money received elsewhere
 * (its charge always succeeds), and `grant` adds paid or promotional funds with an expiry.
 */
export function manualProvider(): ManualProvider {
  let wallet: WalletHandle | undefined;
  return {
    id: 'manual',
    async charge(input) {
      return { status: 'succeeded', reference: `manual:${input.idempotencyKey}` };
    },
    attach(handle) {
      if (wallet && wallet.poolId !== handle.poolId) {
        throw new DrawdownError(
          CreditsErrorCodes.PROVIDER_SHARED,
          `this manual provider already funds wallet "${wallet.poolId}"; create another manualProvider() for "${handle.poolId}"`,
          {
            data: { poolId: handle.poolId, boundTo: wallet.poolId },
          },
        );
      }
      wallet = handle;
    },
    async grant(input) {
      if (!wallet) {
        throw new DrawdownError(
          CreditsErrorCodes.PROVIDER_UNBOUND,
          'this manual provider is not attached to a wallet yet; register credits({ provider }) with a hub first',
          { data: {} },
        );
      }
      return wallet.grant(input);
    },
  };
}
