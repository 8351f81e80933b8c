import { EventEmitter } from 'eventemitter3';
import type { PoolStatus } from './contracts/pool.js';
import type { CostBreakdown } from './rate-card/rate-card.js';
import type { Nanos } from './money.js';
import type { Logger } from './logger.js';

/**
 * Every event drawdown emits, by name. Each event carries one payload object. Events are emitted
 * only after the state change they announce is stored. Plugins add their own by declaration
 * merging:
 *
 * ```ts
 * declare module '@drawdown/core' {
 *   interface DrawdownEvents { 'credits.reloaded': { poolId: string; amount: number } }
 * }
 * ```
 */
export interface DrawdownEvents {
  /** A request was admitted: the router picked an entry and its pool holds `held`. */
  'request.routed': {
    requestId: string;
    entryId: string;
    poolId: string;
    strategyId: string;
    model?: string;
    held: Nanos;
    /** Why this entry (and not an earlier one) was picked. */
    reason: string;
    at: number;
  };
  /** A request's true cost was recorded (exactly once per request). */
  'request.settled': {
    requestId: string;
    entryId: string;
    poolId: string;
    model?: string;
    cost: Nanos;
    costUsd: string;
    held: Nanos;
    /** True cost above the hold, when the estimate was low. */
    overrun: Nanos;
    breakdown?: CostBreakdown;
    at: number;
  };
  /** A request failed; its hold (if any) was released. */
  'request.failed': {
    requestId: string;
    entryId?: string;
    poolId?: string;
    code: string;
    message: string;
    /** Amount whose hold was released. */
    released: Nanos;
    /** Whether the request will be retried on the next route entry. */
    retrying: boolean;
    at: number;
  };
  /** The route's active entry changed. */
  'route.switched': {
    from: string | undefined;
    to: string;
    reason: string;
    /** A sticky switch never flips back (a spent trial). */
    sticky: boolean;
    at: number;
  };
  /** A pool went below its low-water mark. Once per crossing, in the process whose settle or observation crossed it. */
  'pool.low': { poolId: string; status: PoolStatus; message: string; at: number };
  /** A pool can no longer pay. Once per crossing, in the process whose settle or observation crossed it. */
  'pool.exhausted': {
    poolId: string;
    status: PoolStatus;
    reason: string;
    resetsAt?: number;
    message: string;
    at: number;
  };
  /** An exhausted pool can pay again (window reset, funds added). */
  'pool.reset': { poolId: string; status: PoolStatus; at: number };
  /** A budget's spend crossed one of its thresholds (1 = the whole amount). Once per crossing. */
  'budget.crossed': { poolId: string; threshold: number; spent: Nanos; cap: Nanos; message: string; at: number };
  /**
   * A limit account's spend crossed one of the levels its request declared (a budget level's soft
   * limit or cap, see `BeginRequest.limitAccounts`). Once per crossing, across processes.
   */
  'limit.crossed': {
    account: string;
    /** What was crossed, e.g. `team "research" soft limit of $80.00 this month`. */
    name: string;
    /** The ledger scope compared (`lifetime` or a calendar window key). */
    scope: string;
    level: Nanos;
    /** The scope's total right after the settle that crossed. */
    spent: Nanos;
    /** A soft limit (an alert before the hard stop) rather than the cap itself. */
    soft: boolean;
    resetsAt?: number;
    message: string;
    at: number;
  };
  /**
   * A scheduled reconcile found the ledger drifting from Anthropic's usage report beyond the
   * tolerance. Once per drifting run, across processes (one process runs each scheduled check).
   */
  'reconcile.drift': {
    /** One line, e.g. `reconcile: 1 group drifts $0.0125 from Anthropic's usage report (tolerance $0.01); pools: credits`. */
    message: string;
    /** The range compared (epoch ms, start included, end excluded). */
    from: number;
    to: number;
    /** Sum of the drifting groups' dollar drift. */
    driftNanos: Nanos;
    toleranceNanos: Nanos;
    /** Per pool, ledger spend minus Anthropic's counts at the rate card, over the buckets already final. */
    pools: Record<string, Nanos>;
    /** The drifting groups (API key × model × bucket), with why each drifts. */
    groups: Array<{
      apiKeyId: string;
      model: string;
      bucketStart: number;
      pools: string[];
      driftNanos?: Nanos;
      reason?: string;
    }>;
    at: number;
  };
  /** The ledger changed, here or in another process sharing the store. */
  'ledger.changed': { poolId?: string; kind: string; origin: 'local' | 'remote'; at: number };
  /** A listener threw or rejected; the error is isolated here and logged, the request went on. */
  'listener.failed': { event: string; error: unknown; at: number };
}

export type DrawdownEventName = keyof DrawdownEvents & string;
export type DrawdownListener<E extends DrawdownEventName> = (payload: DrawdownEvents[E]) => void | Promise<void>;

/** The hub's event surface. The emitter is wrapped, not extended: only these methods exist. */
export interface EventBus {
  on<E extends DrawdownEventName>(event: E, listener: DrawdownListener<E>): () => void;
  once<E extends DrawdownEventName>(event: E, listener: DrawdownListener<E>): () => void;
  off<E extends DrawdownEventName>(event: E, listener: DrawdownListener<E>): void;
  emit<E extends DrawdownEventName>(event: E, payload: DrawdownEvents[E]): void;
  listenerCount(event: DrawdownEventName): number;
}

type AnyListener = (payload: unknown) => void | Promise<void>;

/**
 * Listeners run synchronously in registration order; a listener that throws or rejects is
 * reported through `listener.failed` and the logger, and the emitter carries on.
 */
export function createEventBus(logger: Logger): EventBus {
  const emitter = new EventEmitter();
  const wrappers = new Map<AnyListener, Map<string, AnyListener>>();

  const report = (event: string, error: unknown): void => {
    logger.warn(`listener for "${event}" failed: ${error instanceof Error ? error.message : String(error)}`);
    if (event !== 'listener.failed') emitter.emit('listener.failed', { event, error, at: Date.now() });
  };

  const wrap = (event: string, listener: AnyListener): AnyListener => {
    const wrapped: AnyListener = (payload) => {
      try {
        const result = listener(payload);
        if (result && typeof (result as Promise<void>).catch === 'function')
          (result as Promise<void>).catch((error) => report(event, error));
      } catch (error) {
        report(event, error);
      }
    };
    let byEvent = wrappers.get(listener);
    if (!byEvent) wrappers.set(listener, (byEvent = new Map()));
    byEvent.set(event, wrapped);
    return wrapped;
  };

  const off = (event: string, listener: AnyListener): void => {
    const wrapped = wrappers.get(listener)?.get(event);
    if (!wrapped) return;
    emitter.off(event, wrapped);
    const byEvent = wrappers.get(listener)!;
    byEvent.delete(event);
    // Forget the listener itself too: a listener added and removed per connection must not pile up.
    if (byEvent.size === 0) wrappers.delete(listener);
  };

  return {
    on(event, listener) {
      emitter.on(event, wrap(event, listener as AnyListener));
      return () => off(event, listener as AnyListener);
    },
    once(event, listener) {
      const l = listener as AnyListener;
      const wrapped = wrap(event, l);
      const onceWrapped: AnyListener = (payload) => {
        off(event, l);
        return wrapped(payload);
      };
      // Registered under the original listener so off() still finds it.
      wrappers.get(l)!.set(event, onceWrapped);
      emitter.on(event, onceWrapped);
      return () => off(event, l);
    },
    off(event, listener) {
      off(event, listener as AnyListener);
    },
    emit(event, payload) {
      emitter.emit(event, payload);
    },
    listenerCount(event) {
      return emitter.listenerCount(event);
    },
  };
}
