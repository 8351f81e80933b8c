import { isRecord } from '../is-record.js';
import {
  API_VERSION,
  FAST_MODE_BETA,
  GROUP_BY,
  iso,
  readReportPages,
  type UsageReport,
  type UsageReportBucket,
  type UsageReportQuery,
  type UsageReportRow,
} from './usage-report.js';

export const ANALYTICS_USAGE_PATH = '/v1/organizations/analytics/usage';
/** The Usage and Cost Analytics API is in beta: every request names this beta. */
export const ANALYTICS_BETA = 'analytics-usage-cost-2026-08-24';
/** Rows per page asked for; the API pages rows (one per bucket × group), not buckets. */
const ROWS_PER_PAGE = 1000;

/** One row of `GET /v1/organizations/analytics/usage`: a bucket × group and its token counts. */
interface AnalyticsUsageRow {
  starting_at: string;
  ending_at: string;
  group: Record<string, string | null | undefined>;
  usage: Omit<UsageReportRow, keyof typeof NO_DIMENSIONS> & { requests?: number; total_tokens?: number };
}
const NO_DIMENSIONS = {
  api_key_id: null,
  workspace_id: null,
  model: null,
  service_tier: null,
  context_window: null,
  inference_geo: null,
  speed: null,
};

function isAnalyticsPage(
  body: unknown,
): body is { data: AnalyticsUsageRow[]; has_more: boolean; next_page?: string | null } {
  return (
    isRecord(body) &&
    Array.isArray(body.data) &&
    typeof body.has_more === 'boolean' &&
    body.data.every((r) => isRecord(r) && typeof r.starting_at === 'string' && isRecord(r.group) && isRecord(r.usage))
  );
}

function pageUrl(query: UsageReportQuery, page: string | undefined): string {
  const params = new URLSearchParams({
    starting_at: iso(query.startingAt),
    ending_at: iso(query.endingAt),
    time_bucket_width: query.bucketWidth,
    limit: String(ROWS_PER_PAGE),
  });
  for (const g of GROUP_BY) params.append('group_by[]', g);
  for (const id of query.apiKeyIds ?? []) params.append('api_key_ids[]', id);
  if (page !== undefined) params.set('page', page);
  return `${query.baseUrl.replace(/\/+$/, '')}${ANALYTICS_USAGE_PATH}?${params}`;
}

/**
 * Reads the same counts as `fetchUsageReport`, from the Analytics API's usage endpoint, and gives
 * them back in the usage report's shape (buckets of rows), so the comparison does not care which
 * API answered. The Analytics API leaves out buckets without usage; an absent bucket reads as an
 * empty one, which is what the usage report says for it too.
 */
export async function fetchAnalyticsUsage(query: UsageReportQuery): Promise<UsageReport> {
  const { pages } = await readReportPages({
    doFetch: query.fetch ?? fetch,
    url: (page) => pageUrl(query, page),
    headers: {
      'x-api-key': query.adminKey,
      'anthropic-version': API_VERSION,
      'anthropic-beta': `${ANALYTICS_BETA},${FAST_MODE_BETA}`,
    },
    isPage: isAnalyticsPage,
    maxPages: query.maxPages ?? 1000,
    name: "Anthropic's Analytics API",
  });
  const buckets = new Map<string, UsageReportBucket>();
  for (const row of pages.flatMap((p) => p.data)) {
    const bucket = buckets.get(row.starting_at) ?? {
      starting_at: row.starting_at,
      ending_at: row.ending_at,
      results: [],
    };
    bucket.results.push({ ...NO_DIMENSIONS, ...row.group, ...row.usage } as UsageReportRow);
    buckets.set(row.starting_at, bucket);
  }
  return { buckets: [...buckets.values()], pages: pages.length };
}
