import {
  invalidOption,
  ledgerAccount,
  toDecimalString,
  type DrawdownPlugin,
  type LimitSignal,
  type Pool,
  type PoolStatus,
  type PluginContext,
} from '@drawdown/core';
import { announceObservedStanding } from '@drawdown/core/internal';
import { describeAllowance, windowLabel } from './wording.js';
import { parseRateLimitInfo, parseUnifiedHeaders, type PlanObservation } from './signals.js';
import { emptyAllowanceState, evaluateAllowance, mergeObservation, type AllowanceState } from './windows.js';

export interface PlanAllowanceOptions {
  /** Pool id used in routes. Default `plan`. */
  id?: string;
  /** What people call it in messages. Default `plan allowance`. */
  label?: string;
  /** Utilization (0–1) from which the pool reports `low`. Default 0.9. */
  warnAt?: number;
}

/** The reason an exhausted plan gives; the router adds "; resets at <local time>". */
export const PLAN_LIMIT_REACHED = 'plan limit reached';

/** Store key of a plan-allowance pool's window state, shared by every process using the store. */
export const allowanceStateKey = (poolId: string): string => `allowance:${poolId}`;

/**
 * The plan allowance (pool kind `allowance`): what the user's subscription still allows, learned
 * from the plan-limit headers of responses and the Agent SDK's `rate_limit_event`s, per window
 * (five_hour, seven_day, seven_day_opus, seven_day_sonnet, overage). It admits any amount until a
 * window refuses, and records what each request would have cost at API prices, so reports show
 * what the plan saved.
 */
export function planAllowance(options: PlanAllowanceOptions = {}) {
  const id = options.id ?? 'plan';
  const owner = `planAllowance("${id}")`;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(id)) {
    throw invalidOption(
      owner,
      'id',
      'must be a short name of letters, digits, ".", "_" or "-"',
      'Use something like "plan".',
    );
  }
  const label = options.label ?? 'plan allowance';
  if (typeof label !== 'string' || label.trim() === '')
    throw invalidOption(owner, 'label', 'is empty', 'Use words like "Max plan".');
  const warnAt = options.warnAt ?? 0.9;
  if (typeof warnAt !== 'number' || !(warnAt > 0 && warnAt <= 1))
    throw invalidOption(owner, 'warnAt', `is ${String(warnAt)}`, 'Use a share between 0 and 1, like 0.9.');

  return {
    id,
    kind: 'pool',
    setup(ctx: PluginContext) {
      return { pool: allowancePool(ctx, { id, label, warnAt }) };
    },
  } satisfies DrawdownPlugin;
}

function observationOf(signal: LimitSignal): PlanObservation | undefined {
  if (signal.source === 'agent-event') return parseRateLimitInfo(signal.rateLimitInfo, signal.at);
  // Error replies count only through their headers: a bare 429 may be a short rate limit, not the plan.
  return signal.headers ? parseUnifiedHeaders(signal.headers, signal.at) : undefined;
}

function allowancePool(ctx: PluginContext, config: { id: string; label: string; warnAt: number }): Pool {
  const { id, label, warnAt } = config;
  const key = allowanceStateKey(id);
  const load = async (): Promise<AllowanceState> =>
    (await ctx.store.getState<AllowanceState>(key)) ?? emptyAllowanceState();
  const account = ledgerAccount(ctx, {
    id,
    // The plan's own windows decide; the last observation says whether one is closed and until when.
    async gate(now) {
      const evaluation = evaluateAllowance(await load(), now, warnAt);
      if (evaluation.state !== 'exhausted') return undefined;
      return {
        message: PLAN_LIMIT_REACHED,
        limitId: evaluation.binding?.kind ?? 'plan',
        ...(evaluation.resetsAt !== undefined && { resetsAt: evaluation.resetsAt }),
      };
    },
  });
  const monthScope = (now: number): string =>
    ctx.placement(now).scopes.find((s) => s.startsWith('month:')) ?? 'lifetime';

  const pool: Pool = {
    id,
    kind: 'allowance',
    // Its standing follows the plan's windows, so its alerts come from the observations that move them.
    announcesAlerts: true,
    // No money cap: holds only make settles exactly-once and show work in flight. Its status is the plan's own.
    ...account,

    async status(): Promise<PoolStatus> {
      const now = ctx.clock.now();
      const [state, snap] = await Promise.all([
        load(),
        ctx.store.snapshot({ account: id, now, scopes: [monthScope(now)] }),
      ]);
      const evaluation = evaluateAllowance(state, now, warnAt);
      const binding = evaluation.binding;
      const month = snap.settled[monthScope(now)] ?? 0;
      return {
        id,
        kind: 'allowance',
        state: evaluation.state,
        spent: month,
        held: snap.held,
        ...(binding?.utilization !== undefined && { utilization: Math.min(1, binding.utilization) }),
        ...(evaluation.resetsAt !== undefined && { resetsAt: evaluation.resetsAt }),
        summary: describeAllowance(evaluation, ctx.timeZone, now, label),
        ...(evaluation.state === 'exhausted' && { reason: PLAN_LIMIT_REACHED }),
        limits: evaluation.windows.map((w) => ({
          name: w.kind,
          status: w.status,
          ...(w.utilization !== undefined && { utilization: Math.min(1, w.utilization) }),
          ...(w.resetsAt !== undefined && { resetsAt: w.resetsAt }),
        })),
        details: {
          label,
          ...(binding && { binding: binding.kind, bindingLabel: windowLabel(binding.kind) }),
          ...(state.overageDisabledReason !== undefined && { overageDisabledReason: state.overageDisabledReason }),
          ...(state.usingOverage !== undefined && { usingOverage: state.usingOverage }),
          // What the plan's usage would have cost at API prices: what the plan saved.
          apiEquivalentUsd: { month: toDecimalString(month), lifetime: toDecimalString(snap.settled.lifetime) },
          ...(state.updatedAt > 0 && { observedAt: state.updatedAt }),
        },
      };
    },

    async observe(signal) {
      const observation = observationOf(signal);
      if (!observation) return;
      const now = ctx.clock.now();
      // The stored state this observation replaces names its crossing, so processes that observe at once announce it once.
      const replaced = await ctx.store.getState<AllowanceState>(key);
      const previous = replaced ?? emptyAllowanceState();
      const merged = mergeObservation(previous, observation, warnAt);
      await ctx.store.setState(key, merged);
      const standing = (state: AllowanceState) => evaluateAllowance(state, now, warnAt).state;
      await announceObservedStanding(
        ctx,
        id,
        { before: standing(previous), after: standing(merged), from: replaced, at: now },
        pool.status,
      );
      await ctx.refreshPool(id);
    },
  };
  return pool;
}
