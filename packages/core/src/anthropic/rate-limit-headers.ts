/** One standard rate-limit bucket (`anthropic-ratelimit-<bucket>-{limit,remaining,reset}`). */
export interface RateLimitBucket {
  limit?: number;
  remaining?: number;
  /** Epoch ms (the header carries RFC 3339). */
  resetAt?: number;
}

/** The org-level limits every API response reports. */
export interface StandardRateLimits {
  requests?: RateLimitBucket;
  tokens?: RateLimitBucket;
  inputTokens?: RateLimitBucket;
  outputTokens?: RateLimitBucket;
  /** `retry-after`, in ms (seconds or an HTTP date in the header). */
  retryAfterMs?: number;
}

export type PlanWindowKind =
  | 'five_hour'
  | 'seven_day'
  | 'seven_day_opus'
  | 'seven_day_sonnet'
  | 'seven_day_overage_included'
  | 'overage'
  | (string & {});

/** One plan window (`anthropic-ratelimit-unified-<5h|7d|…>-*`). */
export interface PlanWindow {
  kind: PlanWindowKind;
  /** 0–1 share of the window used. */
  utilization?: number;
  /** Epoch ms (the header carries epoch seconds). */
  resetAt?: number;
  /** The warning threshold already passed (0–1), when reported. */
  surpassedThreshold?: number;
  status?: string;
}

/** The subscription (plan) limits, from the undocumented `anthropic-ratelimit-unified-*` headers. */
export interface UnifiedRateLimits {
  /** `allowed`, `allowed_warning` or `rejected`. */
  status: 'allowed' | 'allowed_warning' | 'rejected' | (string & {});
  /** When the binding window resets, epoch ms. */
  resetAt?: number;
  /** The binding window, e.g. `five_hour`. */
  representativeClaim?: string;
  fallback?: string;
  fallbackPercentage?: number;
  overage?: { status?: string; resetAt?: number; disabledReason?: string };
  windows: PlanWindow[];
}

/** The plan headers as far as a response carries them: like `UnifiedRateLimits`, with `status` only when sent. */
export type PlanLimitReading = Omit<UnifiedRateLimits, 'status'> & { status?: UnifiedRateLimits['status'] };

export interface RateLimitHeaders {
  standard: StandardRateLimits;
  /** Present only when the response carried `anthropic-ratelimit-unified-status`. */
  unified?: UnifiedRateLimits;
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined> | Iterable<[string, string]>;

const isFetchHeaders = (headers: HeaderSource): headers is Headers =>
  typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function';

/** Lower-cased header map from a `Headers`, a plain record or entry pairs. */
export function headerRecord(headers: HeaderSource): Record<string, string> {
  const out: Record<string, string> = {};
  const entries: Iterable<[string, unknown]> = isFetchHeaders(headers)
    ? headers.entries()
    : Symbol.iterator in headers
      ? (headers as Iterable<[string, string]>)
      : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

const number = (value: string | undefined): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
};
const rfc3339 = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
};

/**
 * A plan-window reset as epoch ms. The API sends epoch seconds; epoch ms and RFC 3339 dates are
 * accepted too (the Agent SDK and some proxies pass them on that way). Anything else is undefined.
 */
export function parseResetInstant(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value > 0 ? Math.round(value < 1e12 ? value * 1000 : value) : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseResetInstant(Number(text));
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/** A 0–1 share of a plan window. Values above 1.5 are read as percentages; negatives and nonsense are undefined. */
export function parseUtilization(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return undefined;
  return n > 1.5 ? n / 100 : n;
}

/** Header spellings of plan windows → the window kinds the Agent SDK uses. */
const WINDOW_KINDS: Record<string, PlanWindowKind> = {
  '5h': 'five_hour',
  '7d': 'seven_day',
  '7d_opus': 'seven_day_opus',
  '7d-opus': 'seven_day_opus',
  '7d_sonnet': 'seven_day_sonnet',
  '7d-sonnet': 'seven_day_sonnet',
  '7d_oi': 'seven_day_overage_included',
  overage: 'overage',
};

/** The window kind for a header spelling (`5h`, `7d_opus`) or an Agent SDK name (`five_hour`); unknown names keep their words, with `_` for `-`. */
export function planWindowKind(spelling: string): PlanWindowKind {
  return WINDOW_KINDS[spelling] ?? spelling.replaceAll('-', '_');
}

const UNIFIED = 'anthropic-ratelimit-unified-';
/** Unified headers that describe the whole plan rather than one window. */
const TOP_LEVEL = new Set([
  'status',
  'reset',
  'representative-claim',
  'fallback',
  'fallback-percentage',
  'overage-status',
  'overage-reset',
  'overage-disabled-reason',
]);
const WINDOW_FIELD = /^(.+)-(utilization|reset|surpassed-threshold|status)$/;

function bucket(h: Record<string, string>, name: string): RateLimitBucket | undefined {
  const p = `anthropic-ratelimit-${name}-`;
  const limit = number(h[`${p}limit`]);
  const remaining = number(h[`${p}remaining`]);
  const resetAt = rfc3339(h[`${p}reset`]);
  if (limit === undefined && remaining === undefined && resetAt === undefined) return undefined;
  return {
    ...(limit !== undefined && { limit }),
    ...(remaining !== undefined && { remaining }),
    ...(resetAt !== undefined && { resetAt }),
  };
}

function retryAfterMs(h: Record<string, string>, now: number): number | undefined {
  const ms = number(h['retry-after-ms']);
  if (ms !== undefined) return ms;
  const value = h['retry-after'];
  const seconds = number(value);
  if (seconds !== undefined) return seconds * 1000;
  const at = value === undefined ? NaN : Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function planReading(h: Record<string, string>): PlanLimitReading | undefined {
  if (!Object.keys(h).some((name) => name.startsWith(UNIFIED))) return undefined;
  const windows = new Map<string, PlanWindow>();
  for (const [name, value] of Object.entries(h)) {
    if (!name.startsWith(UNIFIED)) continue;
    const rest = name.slice(UNIFIED.length);
    if (TOP_LEVEL.has(rest)) continue;
    const match = WINDOW_FIELD.exec(rest);
    if (!match) continue;
    const [, claim, field] = match as unknown as [string, string, string];
    const kind = planWindowKind(claim);
    const window = windows.get(kind) ?? { kind };
    windows.set(kind, window);
    if (field === 'utilization') {
      const u = parseUtilization(value);
      if (u !== undefined) window.utilization = u;
    } else if (field === 'reset') {
      const at = parseResetInstant(value);
      if (at !== undefined) window.resetAt = at;
    } else if (field === 'surpassed-threshold') {
      const t = parseUtilization(value);
      if (t !== undefined) window.surpassedThreshold = t;
    } else {
      window.status = value;
    }
  }
  const status = h[`${UNIFIED}status`];
  const resetAt = parseResetInstant(h[`${UNIFIED}reset`]);
  const fallbackPercentage = number(h[`${UNIFIED}fallback-percentage`]);
  const overageStatus = h[`${UNIFIED}overage-status`];
  const overageReset = parseResetInstant(h[`${UNIFIED}overage-reset`]);
  const overageReason = h[`${UNIFIED}overage-disabled-reason`];
  const hasOverage = overageStatus !== undefined || overageReset !== undefined || overageReason !== undefined;
  return {
    ...(status !== undefined && { status }),
    ...(resetAt !== undefined && { resetAt }),
    ...(h[`${UNIFIED}representative-claim`] !== undefined && {
      representativeClaim: h[`${UNIFIED}representative-claim`],
    }),
    ...(h[`${UNIFIED}fallback`] !== undefined && { fallback: h[`${UNIFIED}fallback`] }),
    ...(fallbackPercentage !== undefined && { fallbackPercentage }),
    ...(hasOverage && {
      overage: {
        ...(overageStatus !== undefined && { status: overageStatus }),
        ...(overageReset !== undefined && { resetAt: overageReset }),
        ...(overageReason !== undefined && { disabledReason: overageReason }),
      },
    }),
    windows: [...windows.values()].sort((a, b) => a.kind.localeCompare(b.kind)),
  };
}

/**
 * Reads only the plan (`anthropic-ratelimit-unified-*`) headers, as far as the response carries
 * them: unlike `parseRateLimitHeaders(...).unified`, a response with window headers but no
 * `-status` still yields its windows. Undefined when no plan header is present (an API-key request).
 */
export function parsePlanLimitHeaders(headers: HeaderSource): PlanLimitReading | undefined {
  return planReading(headerRecord(headers));
}

/**
 * Reads the rate-limit headers of an API response into plain data: the standard
 * `anthropic-ratelimit-*` buckets (reset in RFC 3339), `retry-after`, and the subscription
 * `anthropic-ratelimit-unified-*` headers (epoch-second resets, per-window utilization; see
 * `parseResetInstant` and `parseUtilization` for the other spellings accepted). Times come out as
 * epoch ms. Unknown or malformed values are left out, never guessed.
 */
export function parseRateLimitHeaders(headers: HeaderSource, now: number = Date.now()): RateLimitHeaders {
  const h = headerRecord(headers);
  const standard: StandardRateLimits = {};
  const requests = bucket(h, 'requests');
  const tokens = bucket(h, 'tokens');
  const inputTokens = bucket(h, 'input-tokens');
  const outputTokens = bucket(h, 'output-tokens');
  const retry = retryAfterMs(h, now);
  if (requests) standard.requests = requests;
  if (tokens) standard.tokens = tokens;
  if (inputTokens) standard.inputTokens = inputTokens;
  if (outputTokens) standard.outputTokens = outputTokens;
  if (retry !== undefined) standard.retryAfterMs = retry;
  const plan = planReading(h);
  return { standard, ...(plan?.status !== undefined && { unified: plan as UnifiedRateLimits }) };
}

/** Only the rate-limit related headers of a response (what pools get in `LimitSignal.headers`). */
export function rateLimitHeaderSubset(headers: HeaderSource): Record<string, string> {
  const out: Record<string, string> = {};
  const take = (value: string, name: string): void => {
    const lower = name.toLowerCase();
    if (
      lower.startsWith('anthropic-ratelimit-') ||
      lower === 'retry-after' ||
      lower === 'retry-after-ms' ||
      lower === 'request-id'
    )
      out[lower] = value;
  };
  // Every response passes here: a fetch `Headers` is walked as it is, without copying all of it first.
  if (isFetchHeaders(headers)) headers.forEach(take);
  else for (const [name, value] of Object.entries(headerRecord(headers))) take(value, name);
  return out;
}
