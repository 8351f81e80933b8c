/**
 * Reading plan-limit signals: the `anthropic-ratelimit-unified-*` response headers (undocumented;
 * names as Claude Code parses them) and the Agent SDK's `rate_limit_event.rate_limit_info`.
 * Both become one `PlanObservation`.
 */

/** Plan windows seen so far; other names are kept as they come. */
export type WindowKind = 'five_hour' | 'seven_day' | 'seven_day_opus' | 'seven_day_sonnet' | 'seven_day_overage_included' | 'overage' | (string & {});
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

const ABBREVIATIONS: Record<string, WindowKind> = {
  '5h': 'five_hour',
  '7d': 'seven_day',
  '7d_opus': 'seven_day_opus',
  '7d-opus': 'seven_day_opus',
  '7d_sonnet': 'seven_day_sonnet',
  '7d-sonnet': 'seven_day_sonnet',
  '7d_oi': 'seven_day_overage_included',
  overage: 'overage',
};

const STATUSES = new Set<LimitStatus>(['allowed', 'allowed_warning', 'rejected']);

function status(value: unknown): LimitStatus | undefined {
  return typeof value === 'string' && STATUSES.has(value as LimitStatus) ? (value as LimitStatus) : undefined;
}

/** A reset given as epoch seconds (what the API sends), epoch ms, or an RFC 3339 date. */
export function resetInstant(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value < 1e12 ? Math.round(value * 1000) : Math.round(value);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return resetInstant(Number(text));
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** A 0–1 share; percentages (above 1.5) are scaled down, nonsense is dropped. */
export function share(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return undefined;
  return n > 1.5 ? n / 100 : n;
}

const windowName = (part: string): WindowKind => ABBREVIATIONS[part] ?? part.replaceAll('-', '_');

function reading(windows: Record<string, WindowReading>, kind: WindowKind): WindowReading {
  return (windows[kind] ??= {});
}

function defined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}

/**
 * Reads the unified plan-limit headers of one response (names lower-cased). Undefined when the
 * response carries none (an API-key request).
 */
export function parseUnifiedHeaders(headers: Record<string, string | undefined>, at: number): PlanObservation | undefined {
  const windows: Record<string, WindowReading> = {};
  let seen = false;
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (!name.startsWith(UNIFIED_PREFIX) || value === undefined) continue;
    seen = true;
    const match = /^(.+)-(utilization|reset|surpassed-threshold|status)$/.exec(name.slice(UNIFIED_PREFIX.length));
    if (!match) continue;
    const [, part = '', field] = match;
    const window = reading(windows, windowName(part));
    if (field === 'utilization') window.utilization = share(value);
    else if (field === 'reset') window.resetsAt = resetInstant(value);
    else if (field === 'surpassed-threshold') window.surpassedThreshold = share(value);
    else window.status = status(value);
  }
  if (!seen) return undefined;
  const get = (suffix: string): string | undefined => headers[`${UNIFIED_PREFIX}${suffix}`];
  const overall = status(get('status'));
  const resetsAt = resetInstant(get('reset'));
  const claim = get('representative-claim');
  const binding = claim ? windowName(claim) : undefined;
  if (binding !== undefined) {
    const window = reading(windows, binding);
    window.status ??= overall;
    window.resetsAt ??= resetsAt;
  }
  const overageDisabledReason = get('overage-disabled-reason');
  for (const w of Object.values(windows)) defined(w);
  return defined({
    status: overall,
    resetsAt: resetsAt ?? (binding !== undefined ? windows[binding]?.resetsAt : undefined),
    binding,
    windows,
    overageDisabledReason: overageDisabledReason || undefined,
    at,
  });
}

/** Reads an Agent SDK `rate_limit_event`'s `rate_limit_info`. Undefined when it names no status. */
export function parseRateLimitInfo(info: Record<string, unknown> | undefined, at: number): PlanObservation | undefined {
  if (!info || typeof info !== 'object') return undefined;
  const overall = status(info.status);
  const kind = typeof info.rateLimitType === 'string' && info.rateLimitType !== '' ? windowName(info.rateLimitType) : undefined;
  if (overall === undefined && kind === undefined) return undefined;
  const windows: Record<string, WindowReading> = {};
  // Some versions add every window's utilization: { five_hour: { utilization, resetsAt }, ... }.
  if (info.unifiedWindows && typeof info.unifiedWindows === 'object') {
    for (const [name, value] of Object.entries(info.unifiedWindows as Record<string, Record<string, unknown>>)) {
      if (!value || typeof value !== 'object') continue;
      Object.assign(reading(windows, windowName(name)), defined({ utilization: share(value.utilization), resetsAt: resetInstant(value.resetsAt), status: status(value.status) }));
    }
  }
  const resetsAt = resetInstant(info.resetsAt);
  if (kind !== undefined) {
    Object.assign(reading(windows, kind), defined({ status: overall, resetsAt, utilization: share(info.utilization), surpassedThreshold: share(info.surpassedThreshold) }));
  }
  const overageStatus = status(info.overageStatus);
  if (overageStatus !== undefined) Object.assign(reading(windows, 'overage'), defined({ status: overageStatus, resetsAt: resetInstant(info.overageResetsAt) }));
  return defined({
    status: overall,
    resetsAt,
    binding: kind,
    windows,
    overageDisabledReason: typeof info.overageDisabledReason === 'string' && info.overageDisabledReason !== '' ? info.overageDisabledReason : undefined,
    usingOverage: typeof info.isUsingOverage === 'boolean' ? info.isUsingOverage : undefined,
    at,
  });
}
