import type { DrawdownEvents } from '@drawdown/core';

/** Events of @drawdown/plugin-oauth. None of them carries a token. */
declare module '@drawdown/core' {
  interface DrawdownEvents {
    /** A login finished and its tokens are stored. */
    'auth.signed-in': { strategyId: string; issuer: string; account?: string; expiresAt?: number; at: number };
    /** An access token was refreshed and the new tokens are stored. */
    'auth.refreshed': { strategyId: string; issuer: string; expiresAt?: number; at: number };
    /**
     * The sign-in can no longer be renewed (the refresh token expired or was revoked); the stored
     * tokens were removed. `message` tells the user to sign in again.
     */
    'auth.expired': { strategyId: string; issuer: string; error: string; message: string; at: number };
    /** The user signed out; tokens were revoked at the server (when it allows) and deleted. */
    'auth.signed-out': { strategyId: string; issuer: string; revoked: boolean; at: number };
  }
}

export type OAuthEventName = Extract<keyof DrawdownEvents, `auth.${string}`>;
