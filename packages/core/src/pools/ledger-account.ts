import type { PluginContext } from '../contracts/plugin.js';
import type { Pool, PoolKind, PoolSettlement, PoolStatus } from '../contracts/pool.js';
import type { BalanceLimit, CapLimit, ReserveResult, SettleResult } from '../contracts/store.js';
import { DrawdownError, ErrorCodes, invalidOption, type PoolExhaustedData } from '../errors.js';
import { formatUsd, usd, type Nanos } from '../money.js';
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
   * how pools report crossings, `pool.low` and `pool.exhausted` included (`standingLevels`); the
   * hub's state comparison is only the fallback for pools without `announcesAlerts`.
   */
  crossings?: SpendLevels | readonly SpendLevels[];
  /** Runs after a settle is stored for the first time (alerts, reloads), with the levels it crossed. */
  afterSettle?(result: SettleResult, now: number, crossed: readonly ScopedCrossing[]): Promise<void>;
  /**
   * The pool's own `status()`, when it writes one: the account returns it, and a declaration's
   * `announce` gets what it says right after the settle. Without it, the status below.
   */
  status?(): Promise<PoolStatus>;
  /** The kind `status()` reports. Default `budget`. */
  kind?: PoolKind;
  /**
   * The words of `status()`: its summary and, when exhausted, the reason. Without it, status says
   * "$4.20 of the $10.00 <limit name> used".
   */
  wording?(view: CapView): { summary: string; reason?: string };
}

/** Where the binding cap stands, as `status()` sees it. */
export interface CapView {
  /** The first cap of `limits` at `now`. */
  limit: CapLimit & { id: string };
  /** Settled spend in the cap's scope. */
  spent: Nanos;
  held: Nanos;
  state: PoolStatus['state'];
  now: number;
}

/** A `Pool` without its `id` and `kind`: spread it into the pool (and replace `status()` to say more). */
export type LedgerAccount = Pick<Pool, 'reserve' | 'settle' | 'release' | 'status'>;

/**
 * The ledger plumbing every pool shares: placement of holds and charges, the hold TTL, the
 * atomic limit check, the mapping of a refusal to `POOL_EXHAUSTED` with the data the router reads,
 * the overrun, crossings reported once, and a `status()` from the first cap (low from its lowest
 * crossing level on). A pool declares its limits and words.
 *
 * ```ts
 * const account = ledgerAccount(ctx, { id, kind: 'invoice', limits: (now) => [monthCap(now)], refusal: (r) => `…` });
 * return { id, kind: 'invoice', ...account };
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
    if (result.account !== id) {
      // A limit account refused (a budget level above the pool): no other pool can help, so it is
      // not the router's POOL_EXHAUSTED but an error of its own, which the caller words.
      throw new DrawdownError(
        ErrorCodes.LIMIT_EXHAUSTED,
        `${result.account}: the ${result.limit} leaves too little for this request`,
        {
          data: {
            account: result.account,
            limit: result.limit,
            available: result.available,
            requested: result.requested,
            ...(result.resetsAt !== undefined && { resetsAt: result.resetsAt }),
          },
        },
      );
    }
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

  const account: LedgerAccount = {
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
        ...(input.limitAccounts && input.limitAccounts.length > 0 && { limitAccounts: input.limitAccounts }),
      });
      if (!result.ok) return refuse(limits, result, now);
      return {
        key: input.key,
        amount: result.hold.amount,
        expiresAt: result.hold.expiresAt,
        ...(input.limitAccounts && { limitAccounts: input.limitAccounts.map((l) => l.account) }),
      };
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
        ...(result.limitTotals && { limitTotals: result.limitTotals }),
      };
      if (result.status !== 'settled') return outcome;
      const crossed = crossingsOf(declarations, result, now);
      await spec.afterSettle?.(result, now, crossed);
      const announced = crossed.filter((c) => c.declaration.announce);
      if (announced.length === 0) return outcome;
      const after = await account.status();
      return {
        ...outcome,
        announce: () => {
          for (const { declaration, level, index, spent, at } of announced)
            declaration.announce!({ level, index, spent, at }, after);
        },
      };
    },

    async release(key) {
      await ctx.store.release({ account: id, key, now: ctx.clock.now() });
    },

    status: spec.status ?? capStatus,
  };
  return account;

  async function capStatus(): Promise<PoolStatus> {
    const now = ctx.clock.now();
    const kind = spec.kind ?? 'budget';
    const cap = spec.limits?.(now).find((l): l is CapLimit & { id: string } => l.kind === 'cap');
    const snap = await ctx.store.snapshot({ account: id, now, ...(cap && { scopes: [cap.scope] }) });
    if (!cap) {
      const spent = snap.settled.lifetime;
      return { id, kind, state: 'available', spent, held: snap.held, summary: `${formatUsd(spent)} spent` };
    }
    const spent = snap.settled[cap.scope] ?? 0;
    const lowest = Math.min(
      ...declarations.filter((d) => d.scope(now) === cap.scope).flatMap((d) => d.levels),
      Number.POSITIVE_INFINITY,
    );
    const state = spent >= cap.cap ? 'exhausted' : spent >= lowest ? 'low' : 'available';
    const words = spec.wording?.({ limit: cap, spent, held: snap.held, state, now }) ?? {
      summary: `${formatUsd(spent)} of the ${formatUsd(cap.cap)} ${cap.name} used`,
      ...(state === 'exhausted' && { reason: `the ${formatUsd(cap.cap)} ${cap.name} is used up` }),
    };
    return {
      id,
      kind,
      state,
      spent,
      held: snap.held,
      remaining: cap.cap - spent - snap.held,
      limit: cap.cap,
      utilization: Math.min(1, spent / cap.cap),
      ...(cap.resetsAt !== undefined && { resetsAt: cap.resetsAt }),
      summary: words.summary,
      ...(state === 'exhausted' && words.reason !== undefined && { reason: words.reason }),
    };
  }
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
    throw invalidOption(
      owner,
      field,
      value === undefined ? 'is missing' : `is ${JSON.stringify(value)}, not a USD amount`,
      fix,
    );
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
