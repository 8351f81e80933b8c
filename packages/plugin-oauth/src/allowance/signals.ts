/**
 * Reading plan-limit signals: the `anthropic-ratelimit-unified-*` response headers (undocumented;
 * names as Claude Code parses them) and the Agent SDK's `rate_limit_event.rate_limit_info`.
 * Both become one `PlanObservation`. The headers are read by core's `parsePlanLimitHeaders`, so
 * window names, resets and shares mean the same here as everywhere else.
 */

import type { PlanWindowKind } from '@drawdown/core';
import { parsePlanLimitHeaders, parseResetInstant, parseUtilization, planWindowKind } from '@drawdown/core/internal';

/** Plan windows seen so far (core's `PlanWindowKind`); other names are kept as they come. */
export type WindowKind = PlanWindowKind;
export type LimitStatus = 'allowed' | 'allowed_warning' | 'rejected';

export interface WindowReading {
  status?: LimitStatus;
  /** 0–1 share of the window used. */
  utilization?: number;
  /** When the window resets (epoch ms). */
  resetsAt?: number;
  /** The warning threshold the window passed (0–1), when the server names one. */
  surpassedThreshold?: number;
}

export interface PlanObservation {
  /** The decision for the request that carried the signal. */
  status?: LimitStatus;
  /** When that decision's binding window resets (epoch ms). */
  resetsAt?: number;
  /** The window that decided (`representative-claim` / `rateLimitType`). */
  binding?: WindowKind;
  windows: Record<string, WindowReading>;
  /** Why extra usage is off, e.g. `out_of_credits`. */
  overageDisabledReason?: string;
  /** The request was admitted on extra usage (the plan window itself is spent). */
  usingOverage?: boolean;
  at: number;
}

export const UNIFIED_PREFIX = 'anthropic-ratelimit-unified-';

const STATUSES = new Set<LimitStatus>(['allowed', 'allowed_warning', 'rejected']);

function status(value: unknown): LimitStatus | undefined {
  return typeof value === 'string' && STATUSES.has(value as LimitStatus) ? (value as LimitStatus) : undefined;
}

function reading(windows: Record<string, WindowReading>, kind: WindowKind): WindowReading {
  return (windows[kind] ??= {});
}

function defined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}

/**
 * Reads the unified plan-limit headers of one response, through core's header parser. Undefined
 * when the response carries none (an API-key request).
 */
export function parseUnifiedHeaders(
  headers: Record<string, string | undefined>,
  at: number,
): PlanObservation | undefined {
  const plan = parsePlanLimitHeaders(headers);
  if (!plan) return undefined;
  const windows: Record<string, WindowReading> = {};
  for (const w of plan.windows) {
    windows[w.kind] = defined({
      status: status(w.status),
      utilization: w.utilization,
      resetsAt: w.resetAt,
      surpassedThreshold: w.surpassedThreshold,
    });
  }
  // Overage status and reset come as plan-wide headers; here they describe the overage window.
  if (plan.overage && (plan.overage.status !== undefined || plan.overage.resetAt !== undefined)) {
    const overage = reading(windows, 'overage');
    overage.status ??= status(plan.overage.status);
    overage.resetsAt ??= plan.overage.resetAt;
  }
  const overall = status(plan.status);
  const binding = plan.representativeClaim ? planWindowKind(plan.representativeClaim) : undefined;
  if (binding !== undefined) {
    const window = reading(windows, binding);
    window.status ??= overall;
    window.resetsAt ??= plan.resetAt;
  }
  for (const w of Object.values(windows)) defined(w);
  return defined({
    status: overall,
    resetsAt: plan.resetAt ?? (binding !== undefined ? windows[binding]?.resetsAt : undefined),
    binding,
    windows,
    overageDisabledReason: plan.overage?.disabledReason || undefined,
    at,
  });
}

/** Reads an Agent SDK `rate_limit_event`'s `rate_limit_info`. Undefined when it names no status. */
export function parseRateLimitInfo(info: Record<string, unknown> | undefined, at: number): PlanObservation | undefined {
  if (!info || typeof info !== 'object') return undefined;
  const overall = status(info.status);
  const kind =
    typeof info.rateLimitType === 'string' && info.rateLimitType !== ''
      ? planWindowKind(info.rateLimitType)
      : undefined;
  if (overall === undefined && kind === undefined) return undefined;
  const windows: Record<string, WindowReading> = {};
  // Some versions add every window's utilization: { five_hour: { utilization, resetsAt }, ... }.
  if (info.unifiedWindows && typeof info.unifiedWindows === 'object') {
    for (const [name, value] of Object.entries(info.unifiedWindows as Record<string, Record<string, unknown>>)) {
      if (!value || typeof value !== 'object') continue;
      Object.assign(
        reading(windows, planWindowKind(name)),
        defined({
          utilization: parseUtilization(value.utilization),
          resetsAt: parseResetInstant(value.resetsAt),
          status: status(value.status),
        }),
      );
    }
  }
  const resetsAt = parseResetInstant(info.resetsAt);
  if (kind !== undefined) {
    Object.assign(
      reading(windows, kind),
      defined({
        status: overall,
        resetsAt,
        utilization: parseUtilization(info.utilization),
        surpassedThreshold: parseUtilization(info.surpassedThreshold),
      }),
    );
  }
  const overageStatus = status(info.overageStatus);
  if (overageStatus !== undefined)
    Object.assign(
      reading(windows, 'overage'),
      defined({ status: overageStatus, resetsAt: parseResetInstant(info.overageResetsAt) }),
    );
  return defined({
    status: overall,
    resetsAt,
    binding: kind,
    windows,
    overageDisabledReason:
      typeof info.overageDisabledReason === 'string' && info.overageDisabledReason !== ''
        ? info.overageDisabledReason
        : undefined,
    usingOverage: typeof info.isUsingOverage === 'boolean' ? info.isUsingOverage : undefined,
    at,
  });
}
