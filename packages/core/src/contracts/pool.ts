import type { Nanos } from '../money.js';
import type { EntryMeta, LimitAccount } from './store.js';

export type PoolKind = 'allowance' | 'budget' | 'credits' | 'apiKey' | (string & {});

/** Where a pool stands. JSON-safe: the CLI, the MCP server and reports render it as is. */
export interface PoolStatus {
  id: string;
  kind: PoolKind;
  /** `low` is still usable; `exhausted` means the router will not pick the pool. */
  state: 'available' | 'low' | 'exhausted';
  /** Money left before the binding limit (omitted for pools measured only by utilization). */
  remaining?: Nanos;
  /** The binding limit (cap or funds granted). */
  limit?: Nanos;
  /** Settled spend in the pool's binding scope. */
  spent: Nanos;
  /** Sum of active holds. */
  held: Nanos;
  /** 0–1 share of the binding limit used. */
  utilization?: number;
  /** When the binding limit resets (epoch ms). */
  resetsAt?: number;
  /** One line a person can read: "$4.20 of $10.00 trial left", "plan limit reached; resets 3pm". */
  summary: string;
  /** When exhausted: which limit and why. */
  reason?: string;
  /** Every limit the pool enforces, binding or not. */
  limits?: PoolLimitStatus[];
  /** Plugin-specific, JSON-safe (auto-reload policy, plan windows, grant list). */
  details?: Record<string, unknown>;
}

export interface PoolLimitStatus {
  name: string;
  status: 'allowed' | 'allowed_warning' | 'rejected';
  used?: Nanos;
  cap?: Nanos;
  utilization?: number;
  resetsAt?: number;
}

export interface PoolReserveInput {
  key: string;
  amount: Nanos;
  /** Hold lifetime; the pool's default when omitted. */
  ttlMs?: number;
  meta?: EntryMeta;
  /** Accounts to check and hold in the same store step (see `ReserveInput.limitAccounts`). */
  limitAccounts?: LimitAccount[];
}

export interface PoolHold {
  key: string;
  amount: Nanos;
  expiresAt: number;
  /** The limit accounts held with it: a pool must echo `limitAccounts` to show it held them. */
  limitAccounts?: string[];
}

export interface PoolSettleInput {
  key: string;
  cost: Nanos;
  meta?: EntryMeta;
}

export interface PoolSettlement {
  status: 'settled' | 'duplicate';
  cost: Nanos;
  /** True cost above what was held (0 when the hold covered it). */
  overrun: Nanos;
  /** Totals of the hold's limit accounts after the settle, by account (see `SettleResult.limitTotals`). */
  limitTotals?: Record<string, Record<string, Nanos>>;
  /**
   * Emits the pool's own events about this settle (thresholds crossed...). The hub calls it right
   * after `request.settled`, so listeners see the request first and its consequences after.
   */
  announce?(): void;
}

/**
 * A rate-limit or refusal signal from the API or an agent: parsed response headers, an Agent SDK
 * `rate_limit_event`, or an error reply. Pools that care (the plan allowance, credits) read it.
 */
export interface LimitSignal {
  source: 'headers' | 'agent-event' | 'error';
  /** Lower-cased response headers, when the signal came from a response. */
  headers?: Record<string, string>;
  /** HTTP status of an error reply (402, 429, 400 credit-too-low...). */
  status?: number;
  /** Error type from the API body (`rate_limit_error`, `billing_error`...). */
  errorType?: string;
  message?: string;
  /** Agent SDK `rate_limit_info`, as sent. */
  rateLimitInfo?: Record<string, unknown>;
  at: number;
}

/**
 * A source of funds. Admits spending with reserve → settle | release. A pool refuses a
 * reservation it cannot admit by throwing DRAWDOWN_POOL_EXHAUSTED (data: limit, available,
 * requested, resetsAt); the router then tries the next route entry.
 */
export interface Pool {
  readonly id: string;
  readonly kind: PoolKind;
  /**
   * True when the pool emits `pool.low` and `pool.exhausted` itself, once per crossing across
   * processes: as levels declared to its `ledgerAccount` (`crossings`), decided from atomic settle
   * results, or by the same rule on an observation that moved its standing, claimed in the store.
   * Every built-in pool does. The hub then only tracks the pool's state (for `pool.reset` and reset
   * timers). Without it, the hub announces the state changes each process sees: a fallback for a
   * plugin's own pool, which repeats an alert in every process that notices the change.
   */
  readonly announcesAlerts?: boolean;
  status(): Promise<PoolStatus>;
  reserve(input: PoolReserveInput): Promise<PoolHold>;
  settle(input: PoolSettleInput): Promise<PoolSettlement>;
  release(key: string): Promise<void>;
  /** Takes rate-limit headers, agent events and refusals into account. */
  observe?(signal: LimitSignal): Promise<void>;
}

/** Policy for topping a wallet up automatically when its balance runs low. */
export interface AutoReloadPolicy {
  /** Reload when the balance falls below this. */
  threshold: Nanos;
  /** Buy exactly this amount... */
  amount?: Nanos;
  /** ...or top the balance up to this target. Exactly one of `amount` / `targetBalance`. */
  targetBalance?: Nanos;
  /** At most this much reloaded per calendar month; unlimited when absent. */
  monthlyLimit?: Nanos;
}

export interface AddFundsResult {
  status: 'succeeded' | 'requires_action' | 'failed';
  /** The grant created when the payment succeeded. */
  grantId?: string;
  amount: Nanos;
  /** One line for people: what happened and, if needed, what to do. */
  message: string;
}

/**
 * A pool whose funds can be changed (a credits wallet). The MCP server's write tools and the CLI
 * use this surface; `isFundablePool` tells whether a pool offers it.
 */
export interface FundablePool extends Pool {
  addFunds(input: { amount: Nanos; idempotencyKey: string; note?: string }): Promise<AddFundsResult>;
  /** Sets the auto-reload policy, or turns auto-reload off with `null`. */
  setAutoReload(policy: AutoReloadPolicy | null): Promise<void>;
}

export function isFundablePool(pool: Pool): pool is FundablePool {
  return (
    typeof (pool as Partial<FundablePool>).addFunds === 'function' &&
    typeof (pool as Partial<FundablePool>).setAutoReload === 'function'
  );
}
