import {
  toDecimalString,
  type AutoReloadPolicy,
  type Nanos,
  type PoolLimitStatus,
  type PoolStatus,
  type RouteExplanation,
} from '@drawdown/core';
import type { PoolForecast } from '@drawdown/core/forecast';
import { forecastView } from './forecast-view.js';
import type { AutoReloadView, LimitView, PoolView, RoutePositionView, RouteView } from './schemas.js';

/**
 * JSON shapes the tools and resources return. Money is an exact decimal USD string (never a
 * float), instants are ISO 8601 strings: what a model or a person can read without a decoder.
 */

const usd = (nanos: Nanos | undefined): string | undefined =>
  nanos === undefined ? undefined : toDecimalString(nanos);
export const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

function isPolicy(value: unknown): value is AutoReloadPolicy {
  return typeof value === 'object' && value !== null && Number.isSafeInteger((value as AutoReloadPolicy).threshold);
}

/** What `@drawdown/plugin-credits` reports: the state, and the policy already in decimal USD. */
interface CreditsAutoReload {
  state: 'off' | 'armed' | 'reloading' | 'disabled';
  policy: { thresholdUsd: string; amountUsd?: string; targetBalanceUsd?: string; monthlyLimitUsd?: string } | null;
  disabledReason?: string;
}

function isCreditsAutoReload(value: unknown): value is CreditsAutoReload {
  return (
    typeof value === 'object' &&
    value !== null &&
    'policy' in value &&
    typeof (value as CreditsAutoReload).state === 'string'
  );
}

const decimalOrUndefined = (value: unknown): string | undefined =>
  typeof value === 'string' && /^-?\d+(\.\d{1,9})?$/.test(value) ? value : undefined;

function creditsView({ state, policy, disabledReason }: CreditsAutoReload): AutoReloadView | null {
  const threshold = decimalOrUndefined(policy?.thresholdUsd);
  if (state === 'off' || !policy || threshold === undefined) return null;
  const amount = decimalOrUndefined(policy.amountUsd);
  const target = decimalOrUndefined(policy.targetBalanceUsd);
  const monthly = decimalOrUndefined(policy.monthlyLimitUsd);
  return {
    ...((state === 'armed' || state === 'reloading' || state === 'disabled') && { state }),
    ...(typeof disabledReason === 'string' && { disabledReason }),
    thresholdUsd: threshold,
    ...(amount !== undefined && { amountUsd: amount }),
    ...(target !== undefined && { targetBalanceUsd: target }),
    ...(monthly !== undefined && { monthlyLimitUsd: monthly }),
  };
}

/**
 * Reads the auto-reload a credits pool reports under `details.autoReload`: either a bare core
 * policy in nanodollars (what `setAutoReload` takes, and simple pools report), or the credits
 * plugin's `{ state, policy }` record with the policy in decimal USD. `null`: it can reload but is off.
 */
export function autoReloadView(details: Record<string, unknown> | undefined): AutoReloadView | null | undefined {
  if (!details || !('autoReload' in details)) return undefined;
  const reported = details.autoReload;
  if (isCreditsAutoReload(reported)) return creditsView(reported);
  if (!isPolicy(reported)) return null;
  const policy = reported;
  return {
    thresholdUsd: toDecimalString(policy.threshold),
    ...(policy.amount !== undefined && { amountUsd: toDecimalString(policy.amount) }),
    ...(policy.targetBalance !== undefined && { targetBalanceUsd: toDecimalString(policy.targetBalance) }),
    ...(policy.monthlyLimit !== undefined && { monthlyLimitUsd: toDecimalString(policy.monthlyLimit) }),
  };
}

/**
 * Details without what `autoReload` already shows. The credits plugin's record keeps its counters
 * (failures, this month's reloads, last reload) in details; only the policy and state move out.
 */
function detailsBesideAutoReload(details: Record<string, unknown>): Record<string, unknown> {
  const { autoReload, ...rest } = details;
  if (!isCreditsAutoReload(autoReload)) return rest;
  const {
    state: _state,
    policy: _policy,
    disabledReason: _reason,
    ...counters
  } = autoReload as CreditsAutoReload & Record<string, unknown>;
  return { ...rest, autoReload: counters };
}

function limitView(limit: PoolLimitStatus): LimitView {
  return {
    name: limit.name,
    status: limit.status,
    ...(limit.used !== undefined && { usedUsd: usd(limit.used) }),
    ...(limit.cap !== undefined && { capUsd: usd(limit.cap) }),
    ...(limit.utilization !== undefined && { utilization: limit.utilization }),
    ...(limit.resetsAt !== undefined && { resetsAt: iso(limit.resetsAt) }),
  };
}

export function poolView(status: PoolStatus, route: RoutePositionView[] = [], forecast?: PoolForecast): PoolView {
  const autoReload = autoReloadView(status.details);
  const details = detailsBesideAutoReload(status.details ?? {});
  return {
    id: status.id,
    kind: status.kind,
    state: status.state,
    summary: status.summary,
    ...(status.reason !== undefined && { reason: status.reason }),
    ...(status.remaining !== undefined && { remainingUsd: usd(status.remaining) }),
    ...(status.limit !== undefined && { limitUsd: usd(status.limit) }),
    spentUsd: toDecimalString(status.spent),
    heldUsd: toDecimalString(status.held),
    ...(status.utilization !== undefined && { utilization: status.utilization }),
    ...(status.resetsAt !== undefined && { resetsAt: iso(status.resetsAt) }),
    limits: (status.limits ?? []).map(limitView),
    ...(autoReload !== undefined && { autoReload }),
    route,
    ...(forecast && { forecast: forecastView(forecast) }),
    ...(Object.keys(details).length > 0 && { details }),
  };
}

export function routePositions(explanation: RouteExplanation | undefined, poolId: string): RoutePositionView[] {
  return (explanation?.entries ?? [])
    .filter((e) => e.poolId === poolId)
    .map((e) => ({ entryId: e.entryId, position: e.position, state: e.state, reason: e.reason }));
}

export function routeView(explanation: RouteExplanation): RouteView {
  return {
    ...(explanation.next && { next: explanation.next }),
    ...(explanation.refusal && { refusal: explanation.refusal }),
    whenExhausted: explanation.whenExhausted,
    entries: explanation.entries.map((e) => ({
      entryId: e.entryId,
      poolId: e.poolId,
      strategyId: e.strategyId,
      position: e.position,
      state: e.state,
      reason: e.reason,
      ...(e.resetsAt !== undefined && { resetsAt: iso(e.resetsAt) }),
      pool: poolView(e.pool, routePositions(explanation, e.poolId)),
    })),
  };
}
