import { parseRateLimitHeaders } from '../anthropic/rate-limit-headers.js';
import { DrawdownError } from '../errors.js';
import { isRecord } from '../is-record.js';

/** Error codes of reconciliation against Anthropic's usage reporting. */
export const ReconcileErrorCodes = {
  /** The Admin API answered 429; `data.retryAfterMs` says when to try again. */
  RATE_LIMITED: 'DRAWDOWN_RECONCILE_RATE_LIMITED',
  /** The Admin API refused the request or failed; `data` has the status, error type and request id. */
  UPSTREAM_FAILED: 'DRAWDOWN_RECONCILE_UPSTREAM_FAILED',
  /** The Admin API could not be reached, or answered with something that is not a usage report. */
  UNREADABLE: 'DRAWDOWN_RECONCILE_UNREADABLE',
} as const;

export type BucketWidth = '1m' | '1h' | '1d';
export const BUCKET_WIDTHS: readonly BucketWidth[] = ['1m', '1h', '1d'];
export const BUCKET_MS: Record<BucketWidth, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };
/** Most buckets one page may hold, per width (the API's documented maximum `limit`). */
const MAX_BUCKETS_PER_PAGE: Record<BucketWidth, number> = { '1m': 1440, '1h': 168, '1d': 31 };

/** The dimensions reconciliation matches on (speed needs the fast-mode beta header). */
export const GROUP_BY = ['api_key_id', 'model', 'service_tier', 'inference_geo', 'speed'] as const;
export const FAST_MODE_BETA = 'fast-mode-2026-02-01';
export const API_VERSION = '2023-06-01';
export const USAGE_REPORT_PATH = '/v1/organizations/usage_report/messages';

/** One result row of `GET /v1/organizations/usage_report/messages`, as documented. */
export interface UsageReportRow {
  api_key_id?: string | null;
  workspace_id?: string | null;
  model?: string | null;
  service_tier?: string | null;
  context_window?: string | null;
  inference_geo?: string | null;
  speed?: string | null;
  uncached_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  server_tool_use?: { web_search_requests?: number } | null;
}

/** One time bucket of the report. */
export interface UsageReportBucket {
  starting_at: string;
  ending_at: string;
  results: UsageReportRow[];
}

export interface UsageReportQuery {
  /** Base URL of the API, e.g. `https://api.anthropic.com` (a loopback testkit server in tests). */
  baseUrl: string;
  /** The Admin key (`sk-ant-admin…`). Sent only as `x-api-key`; never echoed in errors. */
  adminKey: string;
  startingAt: number;
  endingAt: number;
  bucketWidth: BucketWidth;
  /** Restrict to these API key ids (the keys drawdown's pools draw on). */
  apiKeyIds?: string[];
  fetch?: typeof fetch;
  /** Stop following `next_page` after this many pages (a guard against a server that never ends). */
  maxPages?: number;
}

export interface UsageReport {
  buckets: UsageReportBucket[];
  /** Pages read (1 + the `next_page` links followed). */
  pages: number;
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

function pageUrl(query: UsageReportQuery, page: string | undefined): string {
  const params = new URLSearchParams({
    starting_at: iso(query.startingAt),
    ending_at: iso(query.endingAt),
    bucket_width: query.bucketWidth,
    limit: String(MAX_BUCKETS_PER_PAGE[query.bucketWidth]),
  });
  for (const g of GROUP_BY) params.append('group_by[]', g);
  for (const id of query.apiKeyIds ?? []) params.append('api_key_ids[]', id);
  if (page !== undefined) params.set('page', page);
  return `${query.baseUrl.replace(/\/+$/, '')}${USAGE_REPORT_PATH}?${params}`;
}

function isReportPage(
  body: unknown,
): body is { data: UsageReportBucket[]; has_more: boolean; next_page?: string | null } {
  return (
    isRecord(body) &&
    Array.isArray(body.data) &&
    typeof body.has_more === 'boolean' &&
    body.data.every((b) => isRecord(b) && typeof b.starting_at === 'string' && Array.isArray(b.results))
  );
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/** How to read one paginated report: its pages' URLs, headers and what a page must look like. */
export interface ReportReader<Page extends { has_more: boolean; next_page?: string | null }> {
  doFetch: typeof fetch;
  url: (page: string | undefined) => string;
  headers: Record<string, string>;
  isPage: (body: unknown) => body is Page;
  maxPages: number;
  /** Names the report in errors, e.g. "Anthropic's usage report". */
  name: string;
}

/**
 * Reads every page of a report, following `next_page` while `has_more` is true. A 429 or an error
 * reply becomes a DrawdownError that names the status and the API's own message; the Admin key never
 * appears in it.
 */
export async function readReportPages<Page extends { has_more: boolean; next_page?: string | null }>(
  reader: ReportReader<Page>,
): Promise<{ pages: Page[] }> {
  const { doFetch, maxPages, name } = reader;
  const read: Page[] = [];
  let page: string | undefined;
  for (let pages = 1; ; pages++) {
    const url = reader.url(page);
    const shown = url.split('?')[0]!;
    let response: Response;
    try {
      response = await doFetch(url, { headers: reader.headers });
    } catch (error) {
      throw new DrawdownError(
        ReconcileErrorCodes.UNREADABLE,
        `could not reach ${name} at ${shown}: ${error instanceof Error ? error.message : String(error)}`,
        { data: { url: shown, page: pages }, cause: error },
      );
    }
    const body = await readJson(response);
    const requestId = response.headers.get('request-id') ?? undefined;
    if (!response.ok) {
      const error = isRecord(body) && isRecord(body.error) ? body.error : {};
      const type = typeof error.type === 'string' ? error.type : undefined;
      const message = typeof error.message === 'string' ? error.message : response.statusText;
      if (response.status === 429) {
        const retryAfterMs = parseRateLimitHeaders(response.headers).standard?.retryAfterMs;
        const wait = retryAfterMs !== undefined ? `; try again in ${Math.ceil(retryAfterMs / 1000)} s` : '';
        throw new DrawdownError(
          ReconcileErrorCodes.RATE_LIMITED,
          `${name} is rate limited (429 on page ${pages})${wait}`,
          {
            data: {
              status: 429,
              page: pages,
              ...(retryAfterMs !== undefined && { retryAfterMs }),
              ...(requestId && { requestId }),
            },
          },
        );
      }
      const hint =
        response.status === 401 || response.status === 403
          ? '; the usage report needs an Admin key (sk-ant-admin…) of an organization'
          : '';
      throw new DrawdownError(
        ReconcileErrorCodes.UPSTREAM_FAILED,
        `${name} answered ${response.status}${type ? ` ${type}` : ''}: ${message}${hint}`,
        {
          data: {
            status: response.status,
            page: pages,
            ...(type && { errorType: type }),
            ...(requestId && { requestId }),
          },
        },
      );
    }
    if (!reader.isPage(body)) {
      throw new DrawdownError(
        ReconcileErrorCodes.UNREADABLE,
        `${name} at ${shown} answered something that is not a report (no data / has_more)`,
        { data: { url: shown, page: pages } },
      );
    }
    read.push(body);
    if (!body.has_more) return { pages: read };
    if (typeof body.next_page !== 'string' || body.next_page === '' || pages >= maxPages) {
      throw new DrawdownError(
        ReconcileErrorCodes.UNREADABLE,
        pages >= maxPages
          ? `${name} still had more after ${maxPages} pages; narrow --from/--to`
          : `${name} said has_more without a next_page on page ${pages}`,
        { data: { url: shown, page: pages } },
      );
    }
    page = body.next_page;
  }
}

/**
 * Reads the Messages usage report for a time range, grouped by API key × model × service tier ×
 * inference geo × speed, following `next_page` while `has_more` is true.
 */
export async function fetchUsageReport(query: UsageReportQuery): Promise<UsageReport> {
  const { pages } = await readReportPages({
    doFetch: query.fetch ?? fetch,
    url: (page) => pageUrl(query, page),
    headers: { 'x-api-key': query.adminKey, 'anthropic-version': API_VERSION, 'anthropic-beta': FAST_MODE_BETA },
    isPage: isReportPage,
    maxPages: query.maxPages ?? 1000,
    name: "Anthropic's usage report",
  });
  return { buckets: pages.flatMap((p) => p.data), pages: pages.length };
}
