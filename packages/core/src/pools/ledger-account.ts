import type { PluginContext } from '../contracts/plugin.js';
import type { Pool, PoolSettlement } from '../contracts/pool.js';
import type { BalanceLimit, CapLimit, ReserveResult, SettleResult } from '../contracts/store.js';
import { DrawdownError, ErrorCodes, invalidOption, type PoolExhaustedData } from '../errors.js';
import { usd, type Nanos } from '../money.js';
import { crossingsOf, type ScopedCrossing, type SpendLevels } from './crossings.js';

export type { Crossing, ScopedCrossing, SpendLevels } from './crossings.js';

/** A limit a pool declares, with a stable `id` that refusals carry (`data.limitId`) for programs to match on. */
export type AccountLimit = (CapLimit | BalanceLimit) & { id: string };

/** A limit that refused a reservation, with what it could still admit. */
export interface Refused {
  limit: AccountLimit;
  available: Nanos;
  requested: Nanos;
  now: number;
}

/** A refusal decided before the store is asked (a cooldown, a plan window that is closed). */
export interface Gate {
  message: string;
  /** Stable id of what refused, e.g. `funds`, `seven_day`. Also the `limit` of the error data. */
  limitId: string;
  resetsAt?: number;
}

export interface LedgerAccountSpec {
  /** The pool id, which is also its ledger account. */
  id: string;
  /** The limits checked, atomically, at each reservation at `now`. None: holds only make settles exactly-once. */
  limits?(now: number): readonly AccountLimit[];
  /** What the refusal says when one of `limits` refuses; it becomes a `POOL_EXHAUSTED` error. */
  refusal?(refused: Refused): string | Promise<string>;
  /** Asked before each reservation: a `Gate` refuses it without touching the store. */
  gate?(now: number): Gate | undefined | Promise<Gate | undefined>;
  /**
   * Spend levels reported once each: by the settle that carries the total of a declaration's
   * scope from below a level to at or above it, so exactly one process reports a crossing. This is
   * how pools report crossings; the hub's state comparison is only the fallback for pools written
   * directly against `Pool`.
   */
  crossings?: SpendLevels | readonly SpendLevels[];
  /** Runs after a settle is stored for the first time (alerts, reloads), with the levels it crossed. */
  afterSettle?(result: SettleResult, now: number, crossed: readonly ScopedCrossing[]): Promise<void>;
}

/** The money half of a `Pool`: spread it into the pool and add `status()`. */
export type LedgerAccount = Pick<Pool, 'reserve' | 'settle' | 'release'>;

/**
 * The ledger plumbing every pool shares: placement of holds and charges, the hold TTL, the
 * atomic limit check, the mapping of a refusal to `POOL_EXHAUSTED` with the data the router reads,
 * the overrun, and crossings reported once. A pool declares its limits and words; it writes
 * `status()` itself.
 *
 * ```ts
 * const account = ledgerAccount(ctx, { id, limits: (now) => [monthCap(now)], refusal: (r) => `…` });
 * return { id, kind: 'invoice', status, ...account };
 * ```
 */
export function ledgerAccount(ctx: PluginContext, spec: LedgerAccountSpec): LedgerAccount {
  const { id } = spec;
  const noLimits: readonly AccountLimit[] = [];
  const declarations: readonly SpendLevels[] =
    spec.crossings === undefined ? [] : 'levels' in spec.crossings ? [spec.crossings] : spec.crossings;

  const refuse = async (
    limits: readonly AccountLimit[],
    result: Extract<ReserveResult, { ok: false }>,
    now: number,
  ): Promise<never> => {
    // The store names the refusing limit; names are unique within one reservation, ids are what callers match.
    const limit = limits.find((l) => l.name === result.limit) ?? {
      kind: 'balance',
      id: result.limit,
      name: result.limit,
    };
    const refused: Refused = { limit, available: result.available, requested: result.requested, now };
    const message = spec.refusal
      ? await spec.refusal(refused)
      : `${id}: the ${limit.name} leaves too little for this request`;
    const data: PoolExhaustedData = {
      poolId: id,
      limit: limit.name,
      limitId: limit.id,
      available: result.available,
      requested: result.requested,
      ...(limit.kind === 'cap' && { cap: limit.cap }),
      ...(limit.kind === 'cap' && limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
    };
    throw new DrawdownError(ErrorCodes.POOL_EXHAUSTED, message, { data });
  };

  return {
    async reserve(input) {
      const now = ctx.clock.now();
      const gate = await spec.gate?.(now);
      if (gate) {
        throw new DrawdownError(ErrorCodes.POOL_EXHAUSTED, gate.message, {
          data: {
            poolId: id,
            limit: gate.limitId,
            limitId: gate.limitId,
            available: 0,
            requested: input.amount,
            ...(gate.resetsAt !== undefined && { resetsAt: gate.resetsAt }),
          },
        });
      }
      const limits = spec.limits?.(now) ?? noLimits;
      const result = await ctx.store.reserve({
        account: id,
        key: input.key,
        amount: input.amount,
        ttlMs: input.ttlMs ?? ctx.holdTtlMs,
        now,
        limits: [...limits],
        ...ctx.placement(now),
        ...(input.meta && { meta: input.meta }),
      });
      if (!result.ok) return refuse(limits, result, now);
      return { key: input.key, amount: result.hold.amount, expiresAt: result.hold.expiresAt };
    },

    async settle(input): Promise<PoolSettlement> {
      const now = ctx.clock.now();
      const result = await ctx.store.settle({
        account: id,
        key: input.key,
        cost: input.cost,
        now,
        ...ctx.placement(now),
        ...(input.meta && { meta: input.meta }),
      });
      const { charge } = result;
      const outcome: PoolSettlement = {
        status: result.status,
        cost: charge.cost,
        overrun: Math.max(0, charge.cost - charge.held),
      };
      if (result.status !== 'settled') return outcome;
      const crossed = crossingsOf(declarations, result, now);
      await spec.afterSettle?.(result, now, crossed);
      const announced = crossed.filter((c) => c.declaration.announce);
      if (announced.length === 0) return outcome;
      return {
        ...outcome,
        announce: () => {
          for (const { declaration, level, index, spent, at } of announced)
            declaration.announce!({ level, index, spent, at });
        },
      };
    },

    async release(key) {
      await ctx.store.release({ account: id, key, now: ctx.clock.now() });
    },
  };
}

/**
 * The spend level at `share` of `amount`, rounded up to a whole nanodollar, so "spent ≥ level"
 * means exactly "spent ≥ share × amount" (shares are taken to six decimals).
 */
export function shareOf(amount: Nanos, share: number): Nanos {
  const scaled = BigInt(amount) * BigInt(Math.round(share * 1_000_000));
  return Number((scaled + 999_999n) / 1_000_000n);
}

/** A pool option that is a USD amount above zero, or the `INVALID_OPTION` error that names it and says `fix`. */
export function usdOption(owner: string, field: string, value: unknown, fix: string): Nanos {
  let nanos: Nanos;
  try {
    nanos = usd(value as string | number);
  } catch {
    throw invalidOption(owner, field, `is ${JSON.stringify(value)}, not a USD amount`, fix);
  }
  if (nanos <= 0) throw invalidOption(owner, field, 'must be more than zero', fix);
  return nanos;
}

/** A pool id: a short name of letters, digits, ".", "_" or "-", or the `INVALID_OPTION` error. */
export function poolIdOption(owner: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(value)) {
    throw invalidOption(
      owner,
      'id',
      'must be a short name of letters, digits, ".", "_" or "-"',
      `Use something like "${example}".`,
    );
  }
  return value;
}
