import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRateCard, toDecimalString, type RateCard } from '@drawdown/core';
import type { BilledRequest } from './billing.js';
import { replies, type ErrorReply } from './replies.js';

export type { BilledRequest } from './billing.js';

export interface AdminApiOptions {
  /** Admin keys by label, e.g. `{ ops: 'sk-ant-admin01-test' }`; the report endpoints accept only these. */
  keys: Record<string, string>;
  /** The `api_key_id` reported for each Messages credential label. Default `apikey_<label>`. */
  apiKeyIds?: Record<string, string>;
  /** Requests billed less than this long ago are not in the reports yet (Anthropic's reporting lag). Default 0. */
  reportingDelayMs?: number;
  /** At most this many buckets per page, below the API's own `limit` (to exercise `next_page`). */
  pageSize?: number;
  /** The time the reports are read at (default the wall clock), so a test can move past the lag. */
  now?: () => number;
  /** Serve the beta Analytics endpoints too (default true); false answers them 404, as for an organization without access. */
  analytics?: boolean;
  /** Prices for the cost report. Default: the built-in rate card. */
  rateCard?: RateCard;
}

export interface AdminApi {
  /** Queues replies for the next report calls (a 429 with `retry-after`, a 500...), first in first out. */
  enqueue(...replies: ErrorReply[]): void;
  /** Admin requests answered so far (report pages included). */
  readonly calls: number;
}

export const USAGE_REPORT_PATH = '/v1/organizations/usage_report/messages';
export const COST_REPORT_PATH = '/v1/organizations/cost_report';
export const ANALYTICS_USAGE_PATH = '/v1/organizations/analytics/usage';
export const ANALYTICS_COST_PATH = '/v1/organizations/analytics/cost';
/**
 * The Usage and Cost Analytics API, as documented at
 * https://platform.claude.com/docs/en/manage-claude/usage-cost-analytics-api and its SDK reference
 * (https://platform.claude.com/docs/en/api/go/beta/organization/analytics/cost):
 * - "The API has two endpoints: GET /v1/organizations/analytics/usage reports token counts and request
 *   counts. GET /v1/organizations/analytics/cost reports the cost in USD."
 * - "The Usage and Cost Analytics API is in beta. Send the header anthropic-beta:
 *   analytics-usage-cost-2026-08-24 and an anthropic-version header on every request."
 * - A row is `{ starting_at, ending_at, group, usage }` (usage) or `{ starting_at, ending_at, group, cost }`
 *   (cost); `usage` holds `uncached_input_tokens`, `cache_read_input_tokens`, `cache_creation`,
 *   `output_tokens`, `server_tool_use`, `requests`, `total_tokens`; `cost.amount` is "Amount
 *   (post-discount, pre-credit) in fractional cents", `currency` "Currently always USD".
 * - "Returns one row per combination of the requested group_by[] dimensions (and time bucket, when
 *   time_bucket_width is set) that has cost in the range [...]; every combination is returned across
 *   pages": rows, not buckets, are paged, with `has_more` / `next_page`, and empty combinations are absent.
 * The row `limit` bounds and the exact 400 wording are not on the page; the values here are this kit's.
 */
export const ANALYTICS_BETA = 'analytics-usage-cost-2026-08-24';
const ANALYTICS_LIMIT = { default: 100, max: 1000 };

const WIDTH_MS = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
type Width = keyof typeof WIDTH_MS;
/** The API's documented default and maximum buckets per page. */
const LIMITS: Record<Width, { default: number; max: number }> = {
  '1m': { default: 60, max: 1440 },
  '1h': { default: 24, max: 168 },
  '1d': { default: 7, max: 31 },
};
/** The dimensions both usage endpoints group by; the legacy report adds the actor's ids. */
const ANALYTICS_GROUPS = [
  'api_key_id',
  'workspace_id',
  'model',
  'service_tier',
  'context_window',
  'inference_geo',
  'speed',
] as const;
const USAGE_GROUPS: string[] = [...ANALYTICS_GROUPS, 'account_id', 'service_account_id'];
const COST_GROUPS = ['workspace_id', 'description'];
const FAST_MODE_BETA = 'fast-mode-2026-02-01';

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

/** Query parameters that may repeat, spelled `name[]` (as the docs' examples do) or `name`. */
const list = (params: URLSearchParams, name: string): string[] => [
  ...params.getAll(`${name}[]`),
  ...params.getAll(name),
];

interface Range {
  width: Width;
  start: number;
  end: number;
  /** First bucket of this page, and how many buckets the page holds. */
  from: number;
  count: number;
}

type Invalid = { invalid: string };

function readRange(
  params: URLSearchParams,
  widths: readonly Width[],
  pageSize: number | undefined,
  now: number,
): Range | Invalid {
  const startText = params.get('starting_at');
  if (startText === null) return { invalid: 'starting_at: Field required' };
  const start = Date.parse(startText);
  if (Number.isNaN(start)) return { invalid: `starting_at: invalid datetime ${JSON.stringify(startText)}` };
  const width = (params.get('bucket_width') ?? '1d') as Width;
  if (!widths.includes(width))
    return { invalid: `bucket_width: Input should be ${widths.map((w) => `'${w}'`).join(' or ')}` };
  const ms = WIDTH_MS[width];
  const limitText = params.get('limit');
  const limit = limitText === null ? LIMITS[width].default : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS[width].max)
    return { invalid: `limit: must be between 1 and ${LIMITS[width].max} for bucket_width ${width}` };
  const endText = params.get('ending_at');
  const snappedStart = Math.floor(start / ms) * ms;
  const end = endText === null ? Math.ceil(now / ms) * ms : Date.parse(endText);
  if (Number.isNaN(end)) return { invalid: `ending_at: invalid datetime ${JSON.stringify(endText)}` };
  if (end <= snappedStart) return { invalid: 'ending_at: must be after starting_at' };
  const page = params.get('page');
  let from = snappedStart;
  if (page !== null) {
    from = Date.parse(Buffer.from(page, 'base64url').toString('utf8'));
    if (Number.isNaN(from) || from < snappedStart || from >= end) return { invalid: 'page: invalid page token' };
  }
  return { width, start: snappedStart, end, from, count: Math.min(limit, pageSize ?? limit) };
}

function pageBody<T>(range: Range, bucket: (start: number, end: number) => T[]): Record<string, unknown> {
  const ms = WIDTH_MS[range.width];
  const data: Array<{ starting_at: string; ending_at: string; results: T[] }> = [];
  let at = range.from;
  for (; at < range.end && data.length < range.count; at += ms)
    data.push({ starting_at: iso(at), ending_at: iso(Math.min(at + ms, range.end)), results: bucket(at, at + ms) });
  const hasMore = at < range.end;
  return { data, has_more: hasMore, next_page: hasMore ? Buffer.from(iso(at)).toString('base64url') : null };
}

/** The usage report's token fields of one billed request. */
function tokens(usage: Record<string, unknown>): {
  uncached: number;
  read: number;
  w5m: number;
  w1h: number;
  output: number;
  search: number;
} {
  const creation = record(usage.cache_creation);
  const total = num(usage.cache_creation_input_tokens);
  const w1h = num(creation.ephemeral_1h_input_tokens);
  const w5m = usage.cache_creation === undefined ? total : num(creation.ephemeral_5m_input_tokens);
  return {
    uncached: num(usage.input_tokens),
    read: num(usage.cache_read_input_tokens),
    w5m,
    w1h,
    output: num(usage.output_tokens),
    search: num(record(usage.server_tool_use).web_search_requests),
  };
}

const dimension = (usage: Record<string, unknown>, field: string, fallback: string): string =>
  typeof usage[field] === 'string' && usage[field] !== '' ? (usage[field] as string) : fallback;

/**
 * The Admin API's usage and cost report endpoints, built from the requests the server billed:
 * `GET /v1/organizations/usage_report/messages` (1m / 1h / 1d buckets, `group_by[]`, `api_key_ids[]`
 * and `models[]` filters) and `GET /v1/organizations/cost_report` (1d buckets, amounts in cents as
 * decimal strings), both paginated with `has_more` / `next_page`.
 */
export function createAdminApi(options: AdminApiOptions, billed: () => readonly BilledRequest[]) {
  const admins = new Set(Object.values(options.keys));
  const queue: ErrorReply[] = [];
  const card = options.rateCard ?? createRateCard();
  const now = options.now ?? Date.now;
  let calls = 0;
  const apiKeyId = (label: string | undefined): string | null =>
    label === undefined || label === 'unknown' ? null : (options.apiKeyIds?.[label] ?? `apikey_${label}`);
  const visible = (): BilledRequest[] => {
    const cutoff = now() - (options.reportingDelayMs ?? 0);
    return billed().filter((b) => b.at <= cutoff);
  };

  function usageReport(
    params: URLSearchParams,
    headers: IncomingMessage['headers'],
  ): Record<string, unknown> | Invalid {
    const range = readRange(params, ['1m', '1h', '1d'], options.pageSize, now());
    if ('invalid' in range) return range;
    const groupBy = list(params, 'group_by');
    const unknown = groupBy.find((g) => !USAGE_GROUPS.includes(g));
    if (unknown !== undefined) return { invalid: `group_by: unknown value ${JSON.stringify(unknown)}` };
    if (groupBy.includes('speed') && !String(headers['anthropic-beta'] ?? '').includes(FAST_MODE_BETA))
      return { invalid: `group_by: speed requires the ${FAST_MODE_BETA} beta header` };
    const keys = list(params, 'api_key_ids');
    const models = list(params, 'models');
    const rows = visible().filter(
      (b) =>
        (keys.length === 0 || keys.includes(apiKeyId(b.credential) ?? '')) &&
        (models.length === 0 || models.includes(b.model)),
    );
    return pageBody(range, (start, end) => {
      const groups = new Map<string, Record<string, unknown>>();
      for (const b of rows.filter((r) => r.at >= start && r.at < end)) {
        const dims: Record<string, string | null> = {
          ...dimensionsOf(b),
          account_id: null,
          service_account_id: null,
        };
        for (const name of USAGE_GROUPS) if (!groupBy.includes(name)) dims[name] = null;
        const id = JSON.stringify(dims);
        const t = tokens(b.usage);
        const row = groups.get(id) ?? {
          ...dims,
          uncached_input_tokens: 0,
          cache_read_input_tokens: 0,
          cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
          output_tokens: 0,
          server_tool_use: { web_search_requests: 0 },
        };
        const creation = row.cache_creation as Record<string, number>;
        row.uncached_input_tokens = (row.uncached_input_tokens as number) + t.uncached;
        row.cache_read_input_tokens = (row.cache_read_input_tokens as number) + t.read;
        creation.ephemeral_5m_input_tokens = creation.ephemeral_5m_input_tokens! + t.w5m;
        creation.ephemeral_1h_input_tokens = creation.ephemeral_1h_input_tokens! + t.w1h;
        row.output_tokens = (row.output_tokens as number) + t.output;
        (row.server_tool_use as Record<string, number>).web_search_requests! += t.search;
        groups.set(id, row);
      }
      return [...groups.values()];
    });
  }

  function costReport(params: URLSearchParams): Record<string, unknown> | Invalid {
    const range = readRange(params, ['1d'], options.pageSize, now());
    if ('invalid' in range) return range;
    const groupBy = list(params, 'group_by');
    const unknown = groupBy.find((g) => !COST_GROUPS.includes(g));
    if (unknown !== undefined) return { invalid: `group_by: unknown value ${JSON.stringify(unknown)}` };
    const byDescription = groupBy.includes('description');
    const rows = visible();
    return pageBody(range, (start, end) => {
      // Cents as exact decimal strings: sum nanodollars first, convert once.
      const sums = new Map<string, { nanos: number; fields: Record<string, string | null> }>();
      for (const b of rows.filter((r) => r.at >= start && r.at < end)) {
        let breakdown: ReturnType<RateCard['price']>;
        try {
          breakdown = card.price(b.model, b.usage, { at: b.at });
        } catch {
          continue;
        }
        for (const line of breakdown.lines) {
          const tokenType = {
            input: 'uncached_input_tokens',
            output: 'output_tokens',
            cache_read: 'cache_read_input_tokens',
            cache_write_5m: 'cache_creation.ephemeral_5m_input_tokens',
            cache_write_1h: 'cache_creation.ephemeral_1h_input_tokens',
            web_search: null,
          }[line.category];
          const fields: Record<string, string | null> = byDescription
            ? {
                cost_type: line.category === 'web_search' ? 'web_search' : 'tokens',
                description: `${b.model} ${tokenType ?? 'web search'}`,
                model: b.model,
                token_type: tokenType,
                service_tier: dimension(b.usage, 'service_tier', 'standard'),
                context_window: '0-200k',
              }
            : {
                cost_type: null,
                description: null,
                model: null,
                token_type: null,
                service_tier: null,
                context_window: null,
              };
          const id = JSON.stringify(fields);
          const sum = sums.get(id) ?? { nanos: 0, fields };
          sum.nanos += line.nanos;
          sums.set(id, sum);
        }
      }
      return [...sums.values()].map((s) => ({
        currency: 'USD',
        // The API reports cents: nanodollars / 10^7.
        amount: toDecimalString(s.nanos * 100),
        workspace_id: null,
        ...s.fields,
      }));
    });
  }

  /** The dimensions of one billed request, as both usage endpoints name them. */
  const dimensionsOf = (b: BilledRequest): Record<(typeof ANALYTICS_GROUPS)[number], string | null> => ({
    api_key_id: apiKeyId(b.credential),
    workspace_id: null,
    model: b.model,
    service_tier: dimension(b.usage, 'service_tier', 'standard'),
    context_window: '0-200k',
    inference_geo: dimension(b.usage, 'inference_geo', 'not_available'),
    speed: dimension(b.usage, 'speed', 'standard'),
  });

  /**
   * One Analytics API page: billed requests filtered, grouped by time bucket (when
   * `time_bucket_width` is set) × the `group_by[]` dimensions, folded by `add`, then paged by row.
   */
  function analyticsPage<T>(
    params: URLSearchParams,
    start: () => T,
    add: (sum: T, billed: BilledRequest) => void,
    emit: (sum: T) => Record<string, unknown>,
  ): Record<string, unknown> | Invalid {
    const startText = params.get('starting_at');
    if (startText === null) return { invalid: 'starting_at: Field required' };
    const from = Date.parse(startText);
    if (Number.isNaN(from)) return { invalid: `starting_at: invalid datetime ${JSON.stringify(startText)}` };
    const widthText = params.get('time_bucket_width');
    if (widthText !== null && !(widthText in WIDTH_MS))
      return { invalid: "time_bucket_width: Input should be '1m', '1h' or '1d'" };
    // Without a bucket width the report covers whole hours.
    const ms = WIDTH_MS[(widthText ?? '1h') as Width];
    const snapped = Math.floor(from / ms) * ms;
    const endText = params.get('ending_at');
    const end = endText === null ? Math.min(now(), snapped + 31 * WIDTH_MS['1d']) : Date.parse(endText);
    if (Number.isNaN(end)) return { invalid: `ending_at: invalid datetime ${JSON.stringify(endText)}` };
    if (end <= snapped) return { invalid: 'ending_at: must be after starting_at' };
    const limitText = params.get('limit');
    const limit = limitText === null ? ANALYTICS_LIMIT.default : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > ANALYTICS_LIMIT.max)
      return { invalid: `limit: must be between 1 and ${ANALYTICS_LIMIT.max}` };
    const groupBy = list(params, 'group_by');
    const unknown = groupBy.find((g) => !(ANALYTICS_GROUPS as readonly string[]).includes(g));
    if (unknown !== undefined) return { invalid: `group_by: unknown value ${JSON.stringify(unknown)}` };
    const filters: Array<[string, keyof ReturnType<typeof dimensionsOf>]> = [
      ['api_key_ids', 'api_key_id'],
      ['models', 'model'],
      ['service_tiers', 'service_tier'],
      ['inference_geos', 'inference_geo'],
      ['speeds', 'speed'],
    ];
    const rows = new Map<string, { at: number; group: Record<string, string | null>; sum: T }>();
    for (const b of visible()) {
      if (b.at < snapped || b.at >= end) continue;
      const dims = dimensionsOf(b);
      if (
        filters.some(([param, dim]) => list(params, param).length > 0 && !list(params, param).includes(dims[dim] ?? ''))
      )
        continue;
      const at = widthText === null ? snapped : Math.floor(b.at / ms) * ms;
      const group = Object.fromEntries(groupBy.map((g) => [g, dims[g as keyof typeof dims]]));
      const id = JSON.stringify([at, group]);
      const row = rows.get(id) ?? { at, group, sum: start() };
      add(row.sum, b);
      rows.set(id, row);
    }
    const ordered = [...rows.values()].sort((a, b) => a.at - b.at);
    const page = params.get('page');
    const offset = page === null ? 0 : Number(Buffer.from(page, 'base64url').toString('utf8'));
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > ordered.length)
      return { invalid: 'page: invalid page token' };
    const next = offset + Math.min(limit, options.pageSize ?? limit);
    const bucketEnd = (at: number): number => (widthText === null ? end : Math.min(at + ms, end));
    return {
      data: ordered.slice(offset, next).map((r) => ({
        starting_at: iso(r.at),
        ending_at: iso(bucketEnd(r.at)),
        group: r.group,
        ...emit(r.sum),
      })),
      has_more: next < ordered.length,
      next_page: next < ordered.length ? Buffer.from(String(next)).toString('base64url') : null,
    };
  }

  const analyticsUsage = (params: URLSearchParams) =>
    analyticsPage(
      params,
      () => ({ uncached: 0, read: 0, w5m: 0, w1h: 0, output: 0, search: 0, requests: 0 }),
      (sum, b) => {
        const t = tokens(b.usage);
        for (const k of ['uncached', 'read', 'w5m', 'w1h', 'output', 'search'] as const) sum[k] += t[k];
        sum.requests += 1;
      },
      (sum) => ({
        usage: {
          uncached_input_tokens: sum.uncached,
          cache_read_input_tokens: sum.read,
          cache_creation: { ephemeral_5m_input_tokens: sum.w5m, ephemeral_1h_input_tokens: sum.w1h },
          output_tokens: sum.output,
          server_tool_use: { web_search_requests: sum.search },
          requests: sum.requests,
          total_tokens: sum.uncached + sum.read + sum.w5m + sum.w1h + sum.output,
        },
      }),
    );

  const analyticsCost = (params: URLSearchParams) =>
    analyticsPage(
      params,
      () => ({ nanos: 0, requests: 0 }),
      (sum, b) => {
        try {
          sum.nanos += card.price(b.model, b.usage, { at: b.at }).total;
          sum.requests += 1;
        } catch {
          // A model the rate card cannot price is left out, as in the cost report.
        }
      },
      // Fractional cents as an exact decimal string: nanodollars / 10^7, converted once.
      (sum) => ({
        cost: {
          amount: toDecimalString(sum.nanos * 100),
          list_amount: toDecimalString(sum.nanos * 100),
          currency: 'USD',
          requests: sum.requests,
        },
      }),
    );

  /** Answers an admin path; false when the path is not one of the report endpoints. */
  function handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
    sendError: (reply: ErrorReply) => void,
  ): boolean {
    const reports: Record<string, (params: URLSearchParams) => Record<string, unknown> | Invalid> = {
      [USAGE_REPORT_PATH]: (params) => usageReport(params, req.headers),
      [COST_REPORT_PATH]: costReport,
      [ANALYTICS_USAGE_PATH]: analyticsUsage,
      [ANALYTICS_COST_PATH]: analyticsCost,
    };
    const report = reports[url.pathname];
    if (report === undefined) return false;
    calls += 1;
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !admins.has(key)) {
      sendError(
        replies.error(401, 'authentication_error', 'invalid x-api-key: the usage and cost reports need an Admin key'),
      );
      return true;
    }
    if (req.method !== 'GET') {
      sendError(replies.error(405, 'invalid_request_error', `Method ${req.method} not allowed`));
      return true;
    }
    const analytics = url.pathname === ANALYTICS_USAGE_PATH || url.pathname === ANALYTICS_COST_PATH;
    if (
      analytics &&
      !String(req.headers['anthropic-beta'] ?? '')
        .split(',')
        .map((b) => b.trim())
        .includes(ANALYTICS_BETA)
    ) {
      sendError(
        replies.error(
          400,
          'invalid_request_error',
          `the Analytics API is in beta: send "anthropic-beta: ${ANALYTICS_BETA}"`,
        ),
      );
      return true;
    }
    if (analytics && typeof req.headers['anthropic-version'] !== 'string') {
      sendError(replies.error(400, 'invalid_request_error', 'anthropic-version: header is required'));
      return true;
    }
    if (analytics && options.analytics === false) {
      sendError(replies.error(404, 'not_found_error', `Not found: ${url.pathname}`));
      return true;
    }
    const scripted = queue.shift();
    if (scripted) {
      sendError(scripted);
      return true;
    }
    const body = report(url.searchParams);
    if ('invalid' in body) {
      sendError(replies.error(400, 'invalid_request_error', body.invalid as string));
      return true;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
    res.end(JSON.stringify(body));
    return true;
  }

  const api: AdminApi = {
    enqueue: (...more) => void queue.push(...more),
    get calls() {
      return calls;
    },
  };
  return { handle, api };
}
