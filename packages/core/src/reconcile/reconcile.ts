import type { LedgerStore } from '../contracts/store.js';
import { invalidOption, throwFirstProblem, type OptionProblem } from '../errors.js';
import { isRecord } from '../is-record.js';
import { usd, type Nanos } from '../money.js';
import type { RateCard } from '../rate-card/rate-card.js';
import { compareUsage, type LedgerCharge, type ReconciledGroup } from './compare.js';
import { isDrawdownError } from '../errors.js';
import { fetchAnalyticsUsage } from './analytics-report.js';
import {
  BUCKET_MS,
  BUCKET_WIDTHS,
  fetchUsageReport,
  ReconcileErrorCodes,
  type BucketWidth,
  type UsageReport,
  type UsageReportQuery,
} from './usage-report.js';

/**
 * Which of Anthropic's reports to read: `admin`, the Admin API's Messages usage report (stable,
 * the default); `analytics`, the Usage and Cost Analytics API (beta); `auto`, the Analytics API,
 * falling back to the usage report when the organization has no access to it (404 or 403).
 */
export type ReportSource = 'admin' | 'analytics' | 'auto';
export const REPORT_SOURCES: readonly ReportSource[] = ['admin', 'analytics', 'auto'];

/** Anthropic says usage usually shows within minutes; a bucket is treated as final an hour after it ends. */
export const DEFAULT_REPORTING_LAG_MS = 60 * 60_000;
/** Differences up to a cent per group are rounding, not drift. */
export const DEFAULT_TOLERANCE: Nanos = usd('0.01');

export interface ReconcileOptions {
  store: LedgerStore;
  rateCard: RateCard;
  /** The Anthropic API key id (`apikey_…`, as the Console and the usage report name it) each pool draws on. */
  keys: Readonly<Record<string, string>>;
  /** The Admin key. Used only as a request header; never logged, printed or returned. */
  adminKey: string;
  /** Default `https://api.anthropic.com`. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Start (epoch ms, included) and end (excluded); snapped to whole buckets. */
  from: number;
  to: number;
  bucket: BucketWidth;
  now: number;
  reportingLagMs?: number;
  toleranceNanos?: Nanos;
  /** Default `admin`. */
  source?: ReportSource;
}

export interface ReconcileResult {
  from: number;
  to: number;
  bucket: BucketWidth;
  at: number;
  reportingLagMs: number;
  toleranceNanos: Nanos;
  /** The report that answered (`auto` resolves to the one that did). */
  source: 'admin' | 'analytics';
  /** Report pages read (the `next_page` links followed, plus one). */
  pages: number;
  groups: ReconciledGroup[];
  /** API keys more than one pool draws on: Anthropic cannot tell those pools apart, so the match is per key, not per pool. */
  sharedKeys: Array<{ apiKeyId: string; pools: string[] }>;
  totals: {
    groups: number;
    match: number;
    drift: number;
    pending: number;
    /** Sum of the drifting groups' dollar drift. */
    driftNanos: Nanos;
    chargedNanos: Nanos;
    reportedPriceNanos: Nanos;
  };
  /** True when some group drifts beyond the tolerance: what the gateway's scheduled check alerts on. */
  exceedsTolerance: boolean;
}

/**
 * Every problem of the options that say what to reconcile, `keys` and `source` (empty when they
 * are fine): `reconcile` throws the first, a configuration's `reconcile` section reports them all.
 */
export function reconcileOptionProblems(options: { keys?: unknown; source?: unknown }): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const { keys, source } = options;
  if (source !== undefined && !REPORT_SOURCES.includes(source as ReportSource))
    problems.push({ field: 'source', problem: `is ${JSON.stringify(source)}`, fix: 'Use admin, analytics or auto.' });
  if (!isRecord(keys) || Object.keys(keys).length === 0)
    problems.push({
      field: 'keys',
      problem: keys === undefined ? 'is missing' : isRecord(keys) ? 'is empty' : `is ${JSON.stringify(keys)}`,
      fix: 'Map each pool that draws on an API key to its Anthropic key id, e.g. {"credits": "apikey_01Rj…"}.',
    });
  else
    for (const [pool, apiKeyId] of Object.entries(keys))
      if (typeof apiKeyId !== 'string' || apiKeyId.trim() === '')
        problems.push({
          field: `keys.${pool}`,
          problem: typeof apiKeyId === 'string' ? 'is empty' : `is ${JSON.stringify(apiKeyId)}`,
          fix: 'Write the Anthropic API key id, e.g. "apikey_01Rj…".',
        });
  return problems;
}

function checkOptions(options: ReconcileOptions): Map<string, string[]> {
  const owner = 'reconcile';
  throwFirstProblem(owner, reconcileOptionProblems(options));
  if (!BUCKET_WIDTHS.includes(options.bucket))
    throw invalidOption(owner, 'bucket', `is ${JSON.stringify(options.bucket)}`, 'Use 1m, 1h or 1d.');
  if (!Number.isFinite(options.from) || !Number.isFinite(options.to) || options.from >= options.to)
    throw invalidOption(owner, 'from', 'is not before "to"', 'Give a start earlier than the end.');
  if (typeof options.adminKey !== 'string' || options.adminKey.trim() === '')
    throw invalidOption(owner, 'adminKey', 'is empty', 'Set the Admin key environment variable (sk-ant-admin…).');
  const poolsByKey = new Map<string, string[]>();
  for (const [pool, apiKeyId] of Object.entries(options.keys))
    poolsByKey.set(apiKeyId, [...(poolsByKey.get(apiKeyId) ?? []), pool]);
  return poolsByKey;
}

/** The ledger's settled charges of the mapped pools within [from, to). */
async function ledgerCharges(options: ReconcileOptions, from: number, to: number): Promise<LedgerCharge[]> {
  const lists = await Promise.all(
    Object.entries(options.keys).map(async ([pool, apiKeyId]) =>
      (await options.store.entries({ account: pool, kinds: ['charge'] })).flatMap((e) =>
        e.kind === 'charge' && e.record.settledAt >= from && e.record.settledAt < to
          ? [{ pool, apiKeyId, settledAt: e.record.settledAt, cost: e.record.cost, meta: e.meta }]
          : [],
      ),
    ),
  );
  return lists.flat();
}

/** No access to the Analytics API: the organization is not in the beta, or the endpoint is not there. */
const noAnalyticsAccess = (error: unknown): boolean =>
  isDrawdownError(error, ReconcileErrorCodes.UPSTREAM_FAILED) &&
  [403, 404].includes((error as { data?: { status?: number } }).data?.status ?? 0);

async function readReport(
  query: UsageReportQuery,
  source: ReportSource,
): Promise<{ report: UsageReport; source: 'admin' | 'analytics' }> {
  if (source === 'admin') return { report: await fetchUsageReport(query), source };
  if (source === 'analytics') return { report: await fetchAnalyticsUsage(query), source };
  try {
    return { report: await fetchAnalyticsUsage(query), source: 'analytics' };
  } catch (error) {
    if (!noAnalyticsAccess(error)) throw error;
    return { report: await fetchUsageReport(query), source: 'admin' };
  }
}

/**
 * Compares the ledger with Anthropic's Messages usage report (or the Analytics API's usage) over [from, to): the one mechanism
 * behind `drawdown reconcile`, the MCP `reconcile` tool and the gateway's scheduled check.
 * Anthropic's report carries no request ids, so charges are matched per API key × model × bucket ×
 * service tier × inference geo × speed; with one API key per pool the match is exact per pool.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const poolsByKey = checkOptions(options);
  const width = BUCKET_MS[options.bucket];
  const from = Math.floor(options.from / width) * width;
  const to = Math.ceil(options.to / width) * width;
  const reportingLagMs = options.reportingLagMs ?? DEFAULT_REPORTING_LAG_MS;
  const toleranceNanos = options.toleranceNanos ?? DEFAULT_TOLERANCE;
  const query: UsageReportQuery = {
    baseUrl: options.baseUrl ?? 'https://api.anthropic.com',
    adminKey: options.adminKey,
    startingAt: from,
    endingAt: to,
    bucketWidth: options.bucket,
    apiKeyIds: [...poolsByKey.keys()],
    ...(options.fetch && { fetch: options.fetch }),
  };
  const [{ report, source }, charges] = await Promise.all([
    readReport(query, options.source ?? 'admin'),
    ledgerCharges(options, from, to),
  ]);
  const groups = compareUsage({
    charges,
    buckets: report.buckets,
    bucketWidth: options.bucket,
    rateCard: options.rateCard,
    poolsByKey,
    now: options.now,
    reportingLagMs,
    toleranceNanos,
  });
  const drifting = groups.filter((g) => g.status === 'drift');
  return {
    from,
    to,
    bucket: options.bucket,
    at: options.now,
    reportingLagMs,
    toleranceNanos,
    source,
    pages: report.pages,
    groups,
    sharedKeys: [...poolsByKey]
      .filter(([, pools]) => pools.length > 1)
      .map(([apiKeyId, pools]) => ({ apiKeyId, pools })),
    totals: {
      groups: groups.length,
      match: groups.filter((g) => g.status === 'match').length,
      drift: drifting.length,
      pending: groups.filter((g) => g.status === 'not-reported-yet' || g.status === 'not-final').length,
      driftNanos: drifting.reduce((sum, g) => sum + (g.driftNanos ?? 0), 0),
      chargedNanos: groups.reduce((sum, g) => sum + g.chargedNanos, 0),
      reportedPriceNanos: groups.reduce((sum, g) => sum + (g.reportedPriceNanos ?? 0), 0),
    },
    exceedsTolerance: drifting.length > 0,
  };
}

/**
 * Per pool, what the ledger charged minus Anthropic's counts at the rate card, summed over the
 * groups whose buckets are final (pending buckets are not drift yet). Groups of a key several pools
 * share are counted under those pools joined by "+", since the report cannot split them. Pools in
 * `pools` that had no group read 0: a clean pool, not an unknown one.
 */
export function driftByPool(result: ReconcileResult, pools: readonly string[] = []): Record<string, Nanos> {
  const byPool: Record<string, Nanos> = Object.fromEntries(pools.map((pool) => [pool, 0]));
  for (const group of result.groups) {
    if (group.status !== 'match' && group.status !== 'drift') continue;
    if (group.reportedPriceNanos === undefined) continue;
    const name = group.pools.join('+');
    byPool[name] = (byPool[name] ?? 0) + group.chargedNanos - group.reportedPriceNanos;
  }
  return byPool;
}
