import { toDecimalString } from '@drawdown/core';
import type { KeySpent } from './key-budget.js';
import type { KeyRecord } from './keys.js';

/** A key as JSON for people and programs (`drawdown keys --json`, the admin API): never its hash or mint secret. */
export interface KeyView {
  id: string;
  name: string;
  routes: string[];
  budgetUsd?: string;
  period?: string;
  softLimitUsd?: string;
  /** The budget levels the key belongs to (see `BudgetHierarchy`). */
  user?: string;
  team?: string;
  organisation?: string;
  models?: string[];
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  expiresAt?: string;
  spentUsd?: string;
  heldUsd?: string;
  /** What the budget counts against now: the current day or month (equal to spentUsd for lifetime). */
  periodSpentUsd?: string;
  resetsAt?: string;
  createdAt: string;
  rotatedAt?: string;
  revokedAt?: string;
  state: 'active' | 'revoked' | 'expired';
}

const iso = (at: number): string => new Date(at).toISOString();

/** The one JSON shape of a key, with its spend when `spent` is given. */
export function keyView(record: KeyRecord, spent?: KeySpent, now: number = Date.now()): KeyView {
  return {
    id: record.id,
    name: record.name,
    routes: record.routes,
    ...(record.budget !== undefined && {
      budgetUsd: toDecimalString(record.budget),
      period: record.period ?? 'lifetime',
    }),
    ...(record.softLimit !== undefined && { softLimitUsd: toDecimalString(record.softLimit) }),
    ...(record.user !== undefined && { user: record.user }),
    ...(record.team !== undefined && { team: record.team }),
    ...(record.organisation !== undefined && { organisation: record.organisation }),
    ...(record.models !== undefined && { models: record.models }),
    ...(record.limits?.requestsPerMinute !== undefined && { requestsPerMinute: record.limits.requestsPerMinute }),
    ...(record.limits?.tokensPerMinute !== undefined && { tokensPerMinute: record.limits.tokensPerMinute }),
    ...(record.expiresAt !== undefined && { expiresAt: iso(record.expiresAt) }),
    ...(spent && { spentUsd: toDecimalString(spent.spent), heldUsd: toDecimalString(spent.held) }),
    ...(spent &&
      record.budget !== undefined && {
        periodSpentUsd: toDecimalString(spent.periodSpent),
        ...(spent.resetsAt !== undefined && { resetsAt: iso(spent.resetsAt) }),
      }),
    createdAt: iso(record.createdAt),
    ...(record.rotatedAt !== undefined && { rotatedAt: iso(record.rotatedAt) }),
    ...(record.revokedAt !== undefined && { revokedAt: iso(record.revokedAt) }),
    state:
      record.revokedAt !== undefined
        ? 'revoked'
        : record.expiresAt !== undefined && record.expiresAt <= now
          ? 'expired'
          : 'active',
  };
}
