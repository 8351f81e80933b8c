import {
  toDecimalString,
  type AutoReloadPolicy,
  type Nanos,
  type PoolLimitStatus,
  type PoolStatus,
  type RouteExplanation,
} from '@drawdown/core';
import type { AutoReloadView, LimitView, PoolView, RoutePositionView, RouteView } from './schemas.js';

/**
 * JSON shapes the tools and resources return. Money is an exact decimal USD string (never a
 * float), instants are ISO 8601 strings: what a model or a person can read without a decoder.
 */

const usd = (nanos: Nanos | undefined): string | undefined => (nanos === undefined ? undefined : toDecimalString(nanos));
export const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function isPolicy(value: unknown): value is AutoReloadPolicy {
  return typeof value === 'object' && value !== null && Number.isSafeInteger((value as AutoReloadPolicy).threshold);
}

/** Reads the auto-reload policy a credits pool reports under `details.autoReload`. */
export function autoReloadView(details: Record<string, unknown> | undefined): AutoReloadView | null | undefined {
  if (!details || !('autoReload' in details)) return undefined;
  const policy = details.autoReload;
  if (!isPolicy(policy)) return null;
  return {
    thresholdUsd: toDecimalString(policy.threshold),
    ...(policy.amount !== undefined && { amountUsd: toDecimalString(policy.amount) }),
    ...(policy.targetBalance !== undefined && { targetBalanceUsd: toDecimalString(policy.targetBalance) }),
    ...(policy.monthlyLimit !== undefined && { monthlyLimitUsd: toDecimalString(policy.monthlyLimit) }),
  };
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

export function poolView(status: PoolStatus, route: RoutePositionView[] = []): PoolView {
  const autoReload = autoReloadView(status.details);
  const { autoReload: _policy, ...details } = status.details ?? {};
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
