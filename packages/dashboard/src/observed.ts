import { toDecimalString } from '@drawdown/core';
import type { ClaudeCodeUsage, SkipCounts } from '@drawdown/core/claude-logs';

/**
 * Spend seen outside the ledger, for a range of local days: Claude Code's own session logs, read by
 * `@drawdown/core/claude-logs` (the host decides where the logs are and leaves out what it metered).
 */
export type ObservedSource = (range: { fromDay: string; toDay: string; timeZone: string }) => Promise<ClaudeCodeUsage>;

/** Observed spend as the page shows it, beside (never inside) the metered pools. */
export interface ObservedCard {
  source: 'claude-code-logs';
  /** What the numbers are: seen afterwards in the logs, never enforced. */
  observed: true;
  enforced: false;
  totalUsd: string;
  requests: number;
  /** One series per model, one value per day of `spend.days`. */
  byModel: Array<{ name: string; usd: string[] }>;
  /** Part of `totalUsd` priced by rate-card rows marked unconfirmed ([U]). */
  unconfirmedUsd: string;
  unconfirmedModels: string[];
  /** Models the rate card could not price: their cost is unknown, not zero. */
  unpriced: Array<{ model: string; requests: number }>;
  skipped: SkipCounts;
  /** Requests the ledger already holds, left out here. */
  metered: { requests: number; costUsd: string };
  files: number;
}

export function observedCard(usage: ClaudeCodeUsage, days: string[]): ObservedCard {
  const byModel = new Map<string, Map<string, number>>();
  for (const row of usage.rows) {
    const perDay = byModel.get(row.model) ?? new Map<string, number>();
    perDay.set(row.day, (perDay.get(row.day) ?? 0) + (row.cost ?? 0));
    byModel.set(row.model, perDay);
  }
  const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    source: 'claude-code-logs',
    observed: true,
    enforced: false,
    totalUsd: toDecimalString(usage.total),
    requests: usage.requests,
    byModel: [...byModel.entries()]
      .sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1))
      .map(([name, perDay]) => ({ name, usd: days.map((d) => toDecimalString(perDay.get(d) ?? 0)) })),
    unconfirmedUsd: toDecimalString(usage.unconfirmed.cost),
    unconfirmedModels: usage.unconfirmed.models,
    unpriced: usage.unpriced.map(({ model, requests }) => ({ model, requests })),
    skipped: usage.skipped,
    metered: { requests: usage.metered.requests, costUsd: toDecimalString(usage.metered.cost) },
    files: usage.files,
  };
}
