import type { AuthStrategy, DrawdownPlugin, Pool, PoolStatus } from '@drawdown/core';
import { childEnvForOwnSignIn, DrawdownError, ErrorCodes, silentLogger } from '@drawdown/core';

export const quiet = { logger: silentLogger };

/** A delegated-style strategy: the child uses its own sign-in. */
export function ownSignIn(id = 'personal') {
  const strategy: AuthStrategy = {
    id,
    kind: 'delegated',
    credentials: async () => {
      throw new DrawdownError(ErrorCodes.AUTH_UNAVAILABLE, 'delegated');
    },
    childEnv: (base) => childEnvForOwnSignIn(base === undefined ? {} : { base }),
    status: async () => ({ ready: true, detail: 'signed in' }),
  };
  return { id, kind: 'auth', setup: () => ({ strategy }) } satisfies DrawdownPlugin;
}

/** A plan-like pool whose window the test opens and closes. */
export function switchablePlan(id = 'plan') {
  const state = { exhausted: false, resetsAt: undefined as number | undefined };
  const status = async (): Promise<PoolStatus> => ({
    id,
    kind: 'allowance',
    state: state.exhausted ? 'exhausted' : 'available',
    spent: 0,
    held: 0,
    summary: state.exhausted ? 'plan limit reached' : 'plan available',
    ...(state.exhausted && { reason: 'plan limit reached' }),
    ...(state.resetsAt !== undefined && { resetsAt: state.resetsAt }),
  });
  const pool: Pool = {
    id,
    kind: 'allowance',
    status,
    async reserve(input) {
      if (state.exhausted)
        throw new DrawdownError(ErrorCodes.POOL_EXHAUSTED, 'plan limit reached', {
          data: { poolId: id, limit: 'plan', ...(state.resetsAt !== undefined && { resetsAt: state.resetsAt }) },
        });
      return { key: input.key, amount: input.amount, expiresAt: Date.now() + 60_000 };
    },
    settle: async (input) => ({ status: 'settled', cost: input.cost, overrun: 0 }),
    release: async () => {},
  };
  return { state, plugin: { id, kind: 'pool', setup: () => ({ pool }) } satisfies DrawdownPlugin };
}
