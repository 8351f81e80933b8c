import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { SdkCredentials, ChildEnv } from './contracts/auth.js';
import type { Pool, PoolHold } from './contracts/pool.js';
import type { EntryMeta, LimitAccount } from './contracts/store.js';
import { DrawdownError, ErrorCodes, invalidOption, isDrawdownError } from './errors.js';
import { assertLimitAccountName } from './limit-accounts.js';
import type { DrawdownEventName, DrawdownEvents } from './events.js';
import { assertNanos, formatUsd, toDecimalString, type Nanos } from './money.js';
import { crossingsOf } from './pools/crossings.js';
import { billableQuantities } from './rate-card/usage.js';
import type { CostBreakdown, Estimate, EstimateRequest, RateCard } from './rate-card/rate-card.js';
import { blockedMessage, type Blocked, type RouteEntry, type Router } from './router.js';

export interface BeginRequest {
  /** Idempotency key of the request; a fresh UUID when omitted. */
  requestId?: string;
  model?: string;
  /** Size the hold from the rate card: input tokens (or text) and max_tokens of the planned call. */
  estimate?: Omit<EstimateRequest, 'model'>;
  /** Or hold exactly this amount. */
  amount?: Nanos;
  ttlMs?: number;
  /** Entry ids not to use (those that already refused this request). */
  exclude?: string[];
  /** Use this entry and no other (e.g. `drawdown run --route personal`). */
  entry?: string;
  meta?: EntryMeta;
  /**
   * Budget levels checked and held with the pool in the same store step (a gateway key's own
   * budget, its user's, team's and organisation's), settled and released with it. A level that
   * refuses throws `LIMIT_EXHAUSTED`: no other entry is tried, since none could help.
   */
  limitAccounts?: RequestLimitAccount[];
}

/** A limit account held with a request, and the spend levels of it to announce. */
export interface RequestLimitAccount extends LimitAccount {
  /** Announced once each as `limit.crossed` by the settle that carries `scope`'s total over `level`. */
  alerts?: LimitAlert[];
}

export interface LimitAlert {
  /** `lifetime` or a calendar window key (one of the hub's placement scopes). */
  scope: string;
  level: Nanos;
  /** What crossing it means, e.g. `team "research" soft limit of $80.00 this month`. */
  name: string;
  /** A soft limit (an alert before the hard stop) rather than the cap itself. */
  soft: boolean;
  resetsAt?: number;
}

export type SettleRequest =
  | {
      usage: unknown;
      model?: string;
      /** Used only where the usage has no `service_tier`. */
      batch?: boolean;
      /** Used only where the usage has no `inference_geo` ("global" or "us"). */
      geo?: string;
      /** Used only where the usage has no `speed` ("standard" or "fast"). */
      speed?: string;
      /** The cost the agent reported; charged only for a model the card does not know, under `unknownModel: "charge-reported"`. */
      reportedCost?: Nanos;
      /** When the request was made (epoch ms): picks the price in force. Defaults to when `begin()` admitted it (now for `charge`). */
      at?: number;
      meta?: EntryMeta;
    }
  | { cost: Nanos; model?: string; meta?: EntryMeta };

export interface Settlement {
  requestId: string;
  status: 'settled' | 'duplicate';
  cost: Nanos;
  costUsd: string;
  overrun: Nanos;
  breakdown?: CostBreakdown;
}

export interface ChargeRequest {
  /** Idempotency key: the same key is charged once however often it is reported. */
  requestId: string;
  /** Route entry whose pool pays. */
  entry: string;
  model?: string;
  usage?: unknown;
  cost?: Nanos;
  /** With `usage`: the cost the agent reported, charged instead when the card does not know the model and its policy is `charge-reported`. */
  reportedCost?: Nanos;
  /** With `usage`: when the request was made (epoch ms), for the price in force then. Defaults to now. */
  at?: number;
  meta?: EntryMeta;
}

/** An admitted request: its entry, pool and hold, and how to finish it. */
export interface RequestLease {
  readonly requestId: string;
  readonly entry: RouteEntry;
  readonly pool: Pool;
  readonly held: Nanos;
  readonly estimate?: Estimate;
  /** Why the router picked this entry. */
  readonly reason: string;
  credentials(): Promise<SdkCredentials>;
  childEnv(base?: ChildEnv): ChildEnv;
  /** Records the true cost (from `usage` priced by the rate card, or a given cost). Idempotent. */
  settle(request: SettleRequest): Promise<Settlement>;
  /** Releases the hold and announces `request.failed`. */
  fail(error: unknown, options?: { retrying?: boolean }): Promise<void>;
  /** Releases the hold silently (nothing was spent, nothing failed). */
  release(): Promise<void>;
}

interface FlowDeps {
  router(): Router;
  rateCard: RateCard;
  clock: Clock;
  timeZone: string;
  emit<E extends DrawdownEventName>(event: E, payload: DrawdownEvents[E]): void;
  listening(event: DrawdownEventName): boolean;
  refreshPool(id: string): Promise<void>;
  /** The hub's child environment for an entry: the strategy's, scrubbed of every other strategy's secrets. */
  childEnv(entryId: string, base?: ChildEnv): ChildEnv;
  isClosed(): boolean;
}

/** A usage's self-described modifier, when it names one (Claude Code logs `inference_geo: ""` for none). */
const named = (usage: unknown, field: 'service_tier' | 'inference_geo' | 'speed'): string | undefined => {
  const value = (usage as Record<string, unknown>)[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

function metaFromUsage(usage: unknown): EntryMeta {
  const q = billableQuantities(usage);
  const serviceTier = named(usage, 'service_tier');
  const inferenceGeo = named(usage, 'inference_geo');
  const speed = named(usage, 'speed');
  return {
    inputTokens: q.inputTokens,
    outputTokens: q.outputTokens,
    cacheReadTokens: q.cacheReadTokens,
    cacheWriteTokens: q.cacheWrite5mTokens + q.cacheWrite1hTokens,
    ...(q.cacheWrite1hTokens > 0 && { cacheWrite1hTokens: q.cacheWrite1hTokens }),
    webSearchRequests: q.webSearchRequests,
    ...(serviceTier !== undefined && { serviceTier }),
    ...(inferenceGeo !== undefined && { inferenceGeo }),
    ...(speed !== undefined && { speed }),
  };
}

/** The request lifecycle: route → reserve → settle | release, with events after each stored step. */
export function createRequestFlow(deps: FlowDeps) {
  const price = (
    request: SettleRequest,
    fallbackModel: string | undefined,
    at: number,
  ): { cost: Nanos; breakdown?: CostBreakdown; meta: EntryMeta; model?: string } => {
    const model = request.model ?? fallbackModel;
    if ('usage' in request) {
      if (model === undefined) {
        throw new DrawdownError(
          ErrorCodes.UNKNOWN_MODEL,
          'cannot price usage without a model; pass model to begin() or settle()',
          { data: { model: null, suggestions: [] } },
        );
      }
      const breakdown = deps.rateCard.price(model, request.usage, {
        at: request.at ?? at,
        ...(request.batch !== undefined && { batch: request.batch }),
        ...(request.geo !== undefined && { geo: request.geo }),
        ...(request.speed !== undefined && { speed: request.speed }),
        ...(request.reportedCost !== undefined && { reportedCost: request.reportedCost }),
      });
      const audit: EntryMeta = {
        pricedBy: breakdown.pricedBy,
        ...(breakdown.priceRow !== undefined && { priceRow: breakdown.priceRow }),
      };
      return {
        cost: breakdown.total,
        breakdown,
        model: breakdown.model,
        meta: { ...metaFromUsage(request.usage), model: breakdown.model, ...audit, ...request.meta },
      };
    }
    return {
      cost: assertNanos(request.cost, 'cost'),
      ...(model !== undefined && { model }),
      meta: { ...(model !== undefined && { model }), ...request.meta },
    };
  };

  /** `requestAt`: when the request was admitted; its usage is priced at the rates in force then. */
  async function settleAt(
    pool: Pool,
    entry: RouteEntry,
    requestId: string,
    request: SettleRequest,
    model: string | undefined,
    held: Nanos,
    requestAt?: number,
    limitAccounts?: readonly RequestLimitAccount[],
  ): Promise<Settlement> {
    const at = deps.clock.now();
    const priced = price(request, model, requestAt ?? at);
    const meta: EntryMeta = { requestId, route: entry.id, strategy: entry.strategy.id, ...priced.meta };
    const result = await pool.settle({ key: requestId, cost: priced.cost, meta });
    const settlement: Settlement = {
      requestId,
      status: result.status,
      cost: result.cost,
      costUsd: toDecimalString(result.cost),
      overrun: result.overrun,
      ...(priced.breakdown && { breakdown: priced.breakdown }),
    };
    if (result.status === 'settled') {
      if (deps.listening('request.settled'))
        deps.emit('request.settled', {
          requestId,
          entryId: entry.id,
          poolId: pool.id,
          ...(priced.model !== undefined && { model: priced.model }),
          cost: result.cost,
          costUsd: settlement.costUsd,
          held,
          overrun: result.overrun,
          ...(priced.breakdown && { breakdown: priced.breakdown }),
          at,
        });
      result.announce?.();
      if (limitAccounts && result.limitTotals)
        announceLimitCrossings(limitAccounts, result.limitTotals, result.cost, at);
      await deps.refreshPool(pool.id);
    }
    return settlement;
  }

  /** Decided from the settle's atomic totals, like a pool's crossings: one process announces each. */
  function announceLimitCrossings(
    limitAccounts: readonly RequestLimitAccount[],
    limitTotals: Record<string, Record<string, Nanos>>,
    cost: Nanos,
    at: number,
  ): void {
    for (const { account, alerts } of limitAccounts) {
      const totals = limitTotals[account];
      if (!alerts || !totals) continue;
      for (const alert of alerts) {
        const declaration = { scope: () => alert.scope, levels: [alert.level] };
        const [crossed] = crossingsOf([declaration], { totals, charge: { cost } }, at);
        if (!crossed) continue;
        deps.emit('limit.crossed', {
          account,
          name: alert.name,
          scope: alert.scope,
          level: alert.level,
          spent: crossed.spent,
          soft: alert.soft,
          ...(alert.resetsAt !== undefined && { resetsAt: alert.resetsAt }),
          message: `${alert.name} reached: ${formatUsd(crossed.spent)} spent`,
          at,
        });
      }
    }
  }

  async function begin(request: BeginRequest): Promise<RequestLease> {
    if (deps.isClosed()) throw new DrawdownError(ErrorCodes.HUB_CLOSED, 'the hub is closed');
    const router = deps.router();
    const requestId = request.requestId ?? randomUUID();
    let estimate: Estimate | undefined;
    if (request.estimate) {
      if (request.model === undefined)
        throw new DrawdownError(ErrorCodes.UNKNOWN_MODEL, 'begin() needs a model to estimate the hold', {
          data: { model: null, suggestions: [] },
        });
      estimate = deps.rateCard.estimate({ ...request.estimate, model: request.model, at: deps.clock.now() });
    }
    const amount = assertNanos(request.amount ?? estimate?.maxCost ?? 0, 'amount');
    if (amount < 0)
      throw new DrawdownError(ErrorCodes.INVALID_AMOUNT, 'a hold cannot be negative', { data: { amount } });

    const blocked: Blocked[] = [];
    // Candidates are read lazily: later entries' pools are consulted only if earlier ones refuse.
    const usable =
      request.entry !== undefined
        ? [{ entry: router.entry(request.entry), reason: `entry ${request.entry} was asked for` }]
        : router.candidates(request.exclude?.length ? new Set(request.exclude) : undefined, blocked);

    for (const [i, { account }] of (request.limitAccounts ?? []).entries())
      assertLimitAccountName(account, `limitAccounts[${i}].account`);
    const limitAccounts = request.limitAccounts?.length
      ? request.limitAccounts.map(({ account, limits }) => ({ account, limits }))
      : undefined;
    for await (const { entry, reason } of usable) {
      let hold: PoolHold;
      try {
        hold = await entry.pool.reserve({
          key: requestId,
          amount,
          ...(request.ttlMs !== undefined && { ttlMs: request.ttlMs }),
          ...(limitAccounts && { limitAccounts }),
          meta: {
            requestId,
            route: entry.id,
            strategy: entry.strategy.id,
            ...(request.model !== undefined && { model: request.model }),
            ...request.meta,
          },
        });
      } catch (error) {
        if (!isDrawdownError(error, ErrorCodes.POOL_EXHAUSTED)) throw error;
        const { resetsAt } = error.data;
        blocked.push({ entryId: entry.id, reason: error.message, ...(resetsAt !== undefined && { resetsAt }) });
        continue;
      }
      if (limitAccounts && hold.limitAccounts?.length !== limitAccounts.length) {
        // A pool written directly against `Pool` that ignored them would let every level overspend.
        await entry.pool.release(requestId);
        throw invalidOption(
          `pool "${entry.pool.id}"`,
          'reserve',
          'does not hold limit accounts',
          'Build its reserve, settle and release with ledgerAccount(), or route this request to another pool.',
        );
      }
      const at = deps.clock.now();
      const from = router.admitted(entry.id);
      if (from !== undefined) {
        const why = blocked.find((b) => b.entryId === from)?.reason ?? reason;
        deps.emit('route.switched', { from, to: entry.id, reason: why, sticky: router.hasLeft(from), at });
      }
      const why = blocked.length > 0 ? `${blockedMessage(blocked, deps.timeZone, at)} → ${entry.id}` : reason;
      if (deps.listening('request.routed'))
        deps.emit('request.routed', {
          requestId,
          entryId: entry.id,
          poolId: entry.pool.id,
          strategyId: entry.strategy.id,
          ...(request.model !== undefined && { model: request.model }),
          held: hold.amount,
          reason: why,
          at,
        });
      return makeLease(entry, requestId, hold.amount, why, request.model, estimate, request.limitAccounts);
    }

    const now = deps.clock.now();
    const hint = estimate
      ? ` (the hold was ${formatUsd(amount)}: ${estimate.basis}; a lower max_tokens needs less)`
      : '';
    throw new DrawdownError(
      ErrorCodes.ROUTE_EXHAUSTED,
      `no route entry can pay for this request: ${blockedMessage(blocked, deps.timeZone, now)}${hint}`,
      {
        data: { requestId, blocked, requested: amount },
      },
    );
  }

  function makeLease(
    entry: RouteEntry,
    requestId: string,
    held: Nanos,
    reason: string,
    model: string | undefined,
    estimate: Estimate | undefined,
    limitAccounts?: readonly RequestLimitAccount[],
  ): RequestLease {
    // Settle, fail and release run one at a time: a fail() that arrives while a settle is being
    // recorded waits for it, and does nothing if the settle landed.
    let finished = false;
    let queue: Promise<unknown> = Promise.resolve();
    const exclusive = <T>(step: () => Promise<T>): Promise<T> => {
      const run = queue.then(step);
      queue = run.catch(() => undefined);
      return run;
    };
    const admittedAt = deps.clock.now();
    const release = (): Promise<number> =>
      exclusive(async () => {
        if (finished) return 0;
        await entry.pool.release(requestId);
        finished = true;
        return held;
      });
    return {
      requestId,
      entry,
      pool: entry.pool,
      held,
      reason,
      ...(estimate && { estimate }),
      credentials: () => entry.strategy.credentials(),
      childEnv: (base) => deps.childEnv(entry.id, base),
      settle(request) {
        // Finished only once the pool has recorded the charge: a settle that throws (a malformed
        // usage, an unknown model, a store that is down) leaves the hold for fail() or release().
        return exclusive(async () => {
          const settlement = await settleAt(
            entry.pool,
            entry,
            requestId,
            request,
            model,
            held,
            admittedAt,
            limitAccounts,
          );
          finished = true;
          return settlement;
        });
      },
      async fail(error, options = {}) {
        const released = await release();
        deps.emit('request.failed', {
          requestId,
          entryId: entry.id,
          poolId: entry.pool.id,
          code: isDrawdownError(error) ? error.code : ErrorCodes.REQUEST_FAILED,
          message: error instanceof Error ? error.message : String(error),
          released,
          retrying: options.retrying ?? false,
          at: deps.clock.now(),
        });
        await deps.refreshPool(entry.pool.id);
      },
      async release() {
        await release();
      },
    };
  }

  async function charge(request: ChargeRequest): Promise<Settlement> {
    const entry = deps.router().entry(request.entry);
    const settleRequest: SettleRequest =
      request.usage !== undefined
        ? {
            usage: request.usage,
            ...(request.model !== undefined && { model: request.model }),
            ...(request.reportedCost !== undefined && { reportedCost: request.reportedCost }),
            ...(request.at !== undefined && { at: request.at }),
            ...(request.meta && { meta: request.meta }),
          }
        : {
            cost: request.cost ?? 0,
            ...(request.model !== undefined && { model: request.model }),
            ...(request.meta && { meta: request.meta }),
          };
    return settleAt(entry.pool, entry, request.requestId, settleRequest, request.model, 0);
  }

  return { begin, charge };
}
