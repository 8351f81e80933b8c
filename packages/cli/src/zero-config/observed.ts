import { localDate, toDecimalString, type LedgerStore } from '@drawdown/core';
import { shiftDay } from '../days.js';
import { meteredRequestIds, readClaudeCodeUsage, type ClaudeCodeUsage } from '@drawdown/core/claude-logs';

export interface ObservedRange {
  fromDay: string;
  toDay: string;
  timeZone: string;
}

/**
 * Claude Code's own spend on this machine, from its session logs: observed (seen afterwards, never
 * enforced). With a ledger, the requests drawdown metered itself are left out by request id, so
 * metered and observed spend add up without counting anything twice.
 */
export async function readObserved(
  env: NodeJS.ProcessEnv,
  range: ObservedRange,
  ledger?: Pick<LedgerStore, 'entries'>,
): Promise<ClaudeCodeUsage> {
  return readClaudeCodeUsage({
    env,
    ...range,
    ...(ledger && { metered: await meteredRequestIds(ledger) }),
  });
}

/** Claude Code's usage as JSON: unpriced costs as null (never 0), every cost also as an exact decimal string. */
export function claudeUsageJson(usage: ClaudeCodeUsage, range: ObservedRange): Record<string, unknown> {
  return {
    source: 'claude-code-logs',
    observed: true,
    enforced: false,
    ...range,
    groupBy: ['day', 'model'],
    dirs: usage.dirs,
    files: usage.files,
    totalUsd: toDecimalString(usage.total),
    complete: usage.unpriced.length === 0,
    requests: usage.requests,
    usageLines: usage.usageLines,
    duplicates: usage.duplicates,
    skipped: usage.skipped,
    unconfirmed: { ...usage.unconfirmed, costUsd: toDecimalString(usage.unconfirmed.cost) },
    unpriced: usage.unpriced,
    metered: { ...usage.metered, costUsd: toDecimalString(usage.metered.cost) },
    read: usage.read,
    rows: usage.rows.map((row) => ({
      ...row,
      cost: row.cost ?? null,
      costUsd: row.cost === undefined ? null : toDecimalString(row.cost),
      unconfirmedCostUsd: toDecimalString(row.unconfirmedCost),
    })),
    ...(usage.lastLimitMessage && {
      lastLimitMessage: { ...usage.lastLimitMessage, atIso: new Date(usage.lastLimitMessage.at).toISOString() },
    }),
  };
}

/** The last `days` local days up to the one holding `at` (what `status` shows). */
export function observedRange(at: number, timeZone: string, days = 7): ObservedRange {
  const toDay = localDate(at, timeZone);
  return { fromDay: shiftDay(toDay, 1 - days), toDay, timeZone };
}
