import { toDecimalString } from '../money.js';
import type { ReconcileResult } from './reconcile.js';

/**
 * The result as JSON for programs and models (`drawdown reconcile --json`, the MCP `reconcile`
 * tool): instants as ISO strings, and an exact decimal USD string beside every nanodollar amount.
 */
export function reconcileJson(result: ReconcileResult) {
  const usd = (n: number): string => toDecimalString(n);
  const iso = (ms: number): string => new Date(ms).toISOString();
  const { driftNanos, chargedNanos, reportedPriceNanos, ...counts } = result.totals;
  return {
    from: iso(result.from),
    to: iso(result.to),
    bucket: result.bucket,
    at: iso(result.at),
    reportingLagMs: result.reportingLagMs,
    toleranceUsd: usd(result.toleranceNanos),
    source: result.source,
    pages: result.pages,
    exceedsTolerance: result.exceedsTolerance,
    sharedKeys: result.sharedKeys,
    totals: {
      ...counts,
      driftUsd: usd(driftNanos),
      chargedUsd: usd(chargedNanos),
      reportedPriceUsd: usd(reportedPriceNanos),
    },
    groups: result.groups.map(({ chargedNanos, reportedPriceNanos, driftNanos, drift, ...g }) => ({
      ...g,
      bucketStart: iso(g.bucketStart),
      bucketEnd: iso(g.bucketEnd),
      chargedUsd: usd(chargedNanos),
      ...(reportedPriceNanos !== undefined && { reportedPriceUsd: usd(reportedPriceNanos) }),
      ...(driftNanos !== undefined && { driftUsd: usd(driftNanos) }),
      drift: drift.map(({ nanos, ...d }) => ({ ...d, ...(nanos !== undefined && { usd: usd(nanos) }) })),
    })),
  };
}
