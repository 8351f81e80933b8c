import type { PoolStatus } from '../contracts/pool.js';
import { formatUsd, usd, type Nanos } from '../money.js';
import { assumedRate, rateEvidence, type BurnRate, type SpendPoint } from './burn-rate.js';
import { isRecord } from '../is-record.js';

const HOUR_MS = 3_600_000;

/** Plan windows whose length is known: a utilization reading plus the reset time gives the pace. */
const WINDOW_LENGTH_MS: Record<string, number> = {
  five_hour: 5 * HOUR_MS,
  seven_day: 7 * 24 * HOUR_MS,
  seven_day_opus: 7 * 24 * HOUR_MS,
  seven_day_sonnet: 7 * 24 * HOUR_MS,
  seven_day_overage_included: 7 * 24 * HOUR_MS,
};

/**
 * Where a pool is heading at the rate it has been spending. Always a projection (`forecast: true`),
 * with the rate it assumes named; `rate` is absent and `basis` says "not enough data" rather than
 * inventing a pace.
 */
export interface PoolForecast {
  poolId: string;
  forecast: true;
  /** `projected` when a rate was measured; `not-enough-data` otherwise; `idle` when the pool was not used. */
  basis: 'projected' | 'not-enough-data' | 'idle';
  /** Money pools: the assumed spend rate and the window it was measured over. */
  rate?: BurnRate;
  /** Plan windows: the share of the binding window used per hour, and over what it was measured. */
  utilizationRate?: { perHour: number; window: string; limit: string };
  /** When the pool runs out at the assumed rate (absent when it would not, or cannot be told). */
  exhaustsAt?: number;
  /** When the binding limit resets, if it does. */
  resetsAt?: number;
  /** True when the reset comes before the pool would run out. */
  resetsFirst?: boolean;
  /** Credits: when auto-reload fires at this rate, or what stops it. */
  autoReload?: { at?: number; amount?: Nanos; blockedBy?: string };
  /** Credits: the cap that stops spending before funds or a reload run out (monthly limit, daily ceiling). */
  stoppedBy?: { limit: string; at: number; resetsAt?: number };
  /** What happens next, in a few words: "runs out in 8h 20m", "auto-reload (+$25.00) in 15h". */
  outlook: string;
  /** The rate the outlook assumes, in words: "$0.60/h, last hours" (absent without one). */
  assumes?: string;
  /** `outlook` and `assumes` as one line for people, starting "forecast:". */
  summary: string;
}

export interface ForecastInput {
  status: PoolStatus;
  /** The pool's settled charges (any order); only the last 7 days count. */
  history: readonly SpendPoint[];
  now: number;
}

/** "45m", "3h 20m", "2d 4h": a duration short enough for one status line. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

const rateText = (rate: BurnRate): string => `${formatUsd(rate.perHour)}/h, ${rate.window}`;

/** The three wordings of one forecast, from its outlook and the rate it assumes. */
function told(outlook: string, assumes?: string): Pick<PoolForecast, 'outlook' | 'assumes' | 'summary'> {
  return {
    outlook,
    ...(assumes !== undefined && { assumes }),
    summary: `forecast: ${outlook}${assumes !== undefined ? ` (${assumes})` : ''}`,
  };
}

/** When `amount` is used up at `rate`, or undefined when it never is. */
function reachedAt(amount: Nanos, rate: BurnRate, now: number): number | undefined {
  if (rate.perHour <= 0) return undefined;
  return now + Math.max(0, Math.round((amount / rate.perHour) * HOUR_MS));
}

const money = (value: unknown): Nanos | undefined => (typeof value === 'string' ? usd(value) : undefined);

/** The parts of a credits pool's `details` the forecast reads (see plugin-credits' CreditsStatusDetails). */
interface CreditsView {
  available: Nanos;
  caps: Array<{ name: string; left: Nanos; resetsAt: number }>;
  reload?: { state: string; threshold: Nanos; amount?: Nanos; target?: Nanos; monthlyLimit?: Nanos; reloaded: Nanos };
}

function creditsView(details: Record<string, unknown> | undefined): CreditsView | undefined {
  if (!details) return undefined;
  const available = money(details.availableUsd);
  if (available === undefined) return undefined;
  const caps = (Array.isArray(details.caps) ? details.caps : []).filter(isRecord).flatMap((c) => {
    const left = money(c.leftUsd);
    return left !== undefined && typeof c.name === 'string' && typeof c.resetsAt === 'number'
      ? [{ name: c.name, left, resetsAt: c.resetsAt }]
      : [];
  });
  const auto = isRecord(details.autoReload) ? details.autoReload : undefined;
  const policy = auto && isRecord(auto.policy) ? auto.policy : undefined;
  const threshold = money(policy?.thresholdUsd);
  const amount = money(policy?.amountUsd);
  const target = money(policy?.targetBalanceUsd);
  const monthlyLimit = money(policy?.monthlyLimitUsd);
  return {
    available,
    caps,
    ...(auto &&
      threshold !== undefined && {
        reload: {
          state: String(auto.state),
          threshold,
          ...(amount !== undefined && { amount }),
          ...(target !== undefined && { target }),
          ...(monthlyLimit !== undefined && { monthlyLimit }),
          reloaded: money(auto.reloadedThisMonthUsd) ?? 0,
        },
      }),
  };
}

function creditsForecast(
  base: Pick<PoolForecast, 'poolId' | 'forecast' | 'basis'>,
  view: CreditsView,
  rate: BurnRate,
  now: number,
): PoolForecast {
  const label = rateText(rate);
  const emptyAt = reachedAt(view.available, rate, now);
  // The first cap reached before its own reset stops spending until that reset.
  const stop = view.caps
    .map((c) => ({ limit: c.name, at: reachedAt(c.left, rate, now), resetsAt: c.resetsAt }))
    .filter((c): c is { limit: string; at: number; resetsAt: number } => c.at !== undefined && c.at < c.resetsAt)
    .sort((a, b) => a.at - b.at)[0];
  const reload = view.reload;
  let autoReload: PoolForecast['autoReload'];
  if (reload && reload.state !== 'off') {
    const amount = reload.amount ?? (reload.target !== undefined ? reload.target - reload.threshold : undefined);
    const blockedBy =
      reload.state === 'disabled'
        ? 'auto-reload is disabled'
        : reload.monthlyLimit !== undefined && amount !== undefined && reload.reloaded + amount > reload.monthlyLimit
          ? `its ${formatUsd(reload.monthlyLimit)} monthly limit`
          : undefined;
    const at = reachedAt(Math.max(0, view.available - reload.threshold), rate, now);
    autoReload = {
      ...(blockedBy === undefined && at !== undefined && { at }),
      ...(amount !== undefined && { amount }),
      ...(blockedBy !== undefined && { blockedBy }),
    };
  }
  const reloadAt = autoReload?.at;
  const fields = {
    ...base,
    rate,
    ...(emptyAt !== undefined && { exhaustsAt: emptyAt }),
    ...(autoReload && { autoReload }),
  };
  const inTime = (at: number): string => `in ${formatDuration(at - now)}`;
  if (stop && (reloadAt === undefined || stop.at <= reloadAt) && (emptyAt === undefined || stop.at <= emptyAt)) {
    const what = reloadAt !== undefined ? 'before auto-reload' : 'before funds run out';
    return {
      ...fields,
      stoppedBy: stop,
      resetsAt: stop.resetsAt,
      ...told(`${stop.limit} reached ${inTime(stop.at)}, ${what}`, label),
    };
  }
  if (reloadAt !== undefined)
    return {
      ...fields,
      ...told(
        `auto-reload${autoReload?.amount !== undefined ? ` (+${formatUsd(autoReload.amount)})` : ''} ${inTime(reloadAt)}`,
        label,
      ),
    };
  if (emptyAt === undefined) return { ...fields, ...told('not spending', label) };
  const blocked = autoReload?.blockedBy !== undefined ? `; no auto-reload (${autoReload.blockedBy})` : '';
  return { ...fields, ...told(`empty ${inTime(emptyAt)}${blocked}`, label) };
}

function allowanceForecast(
  base: Pick<PoolForecast, 'poolId' | 'forecast'>,
  status: PoolStatus,
  now: number,
): PoolForecast {
  // Each window's pace since it opened (reset − length); the window that runs out first binds.
  const paced = (status.limits ?? []).flatMap((limit) => {
    const length = WINDOW_LENGTH_MS[limit.name];
    if (length === undefined || limit.utilization === undefined || limit.resetsAt === undefined) return [];
    const elapsed = now - (limit.resetsAt - length);
    if (elapsed < 60_000 || limit.resetsAt <= now) return [];
    const perHour = limit.utilization / (elapsed / HOUR_MS);
    const left = Math.max(0, 1 - limit.utilization);
    const exhaustsAt = perHour > 0 ? now + Math.round((left / perHour) * HOUR_MS) : undefined;
    return [{ limit: limit.name, perHour, exhaustsAt, resetsAt: limit.resetsAt }];
  });
  if (paced.length === 0)
    return { ...base, basis: 'not-enough-data', ...told('not enough data: no plan window reported yet') };
  const key = (p: (typeof paced)[number]): number =>
    p.exhaustsAt !== undefined && p.exhaustsAt < p.resetsAt ? p.exhaustsAt : Number.POSITIVE_INFINITY;
  const binding = paced.reduce((a, b) => (key(b) < key(a) ? b : a));
  const pct = `${Math.round(binding.perHour * 1000) / 10}%/h`;
  const rate = `${pct} of ${binding.limit} since it opened`;
  const resetsFirst = binding.exhaustsAt === undefined || binding.exhaustsAt >= binding.resetsAt;
  const fields: PoolForecast = {
    ...base,
    basis: binding.perHour > 0 ? 'projected' : 'idle',
    utilizationRate: { perHour: binding.perHour, window: 'since the window opened', limit: binding.limit },
    ...(binding.exhaustsAt !== undefined && { exhaustsAt: binding.exhaustsAt }),
    resetsAt: binding.resetsAt,
    resetsFirst,
    ...told(
      resetsFirst
        ? `resets in ${formatDuration(binding.resetsAt - now)}, before running out`
        : `limit in ${formatDuration(binding.exhaustsAt! - now)}, ${formatDuration(binding.resetsAt - binding.exhaustsAt!)} before reset`,
      rate,
    ),
  };
  return fields;
}

/**
 * The forecast of one pool from its status and its recent charges, at `now` (an injected clock:
 * nothing here reads the time). Plan pools are projected from their windows' utilization; every
 * other pool from an exponentially weighted spend rate (see `assumedRate`).
 */
export function forecastPool(input: ForecastInput): PoolForecast {
  const { status, history, now } = input;
  const base = { poolId: status.id, forecast: true as const };
  if (status.kind === 'allowance') return allowanceForecast(base, status, now);
  const evidence = rateEvidence(history, now);
  if (!evidence.enough) return { ...base, basis: 'not-enough-data', ...told(evidence.reason) };
  const rate = assumedRate(history, now);
  if (rate.perHour <= 0) return { ...base, basis: 'idle', rate, ...told('idle, nothing spent lately') };
  const projected = { ...base, basis: 'projected' as const };
  if (status.kind === 'credits') {
    const view = creditsView(status.details);
    if (view) return creditsForecast(projected, view, rate, now);
  }
  const label = rateText(rate);
  if (status.remaining === undefined) return { ...projected, rate, ...told('no limit to run out', label) };
  const exhaustsAt = reachedAt(Math.max(0, status.remaining), rate, now)!;
  const resetsAt = status.resetsAt !== undefined && status.resetsAt > now ? status.resetsAt : undefined;
  const resetsFirst = resetsAt !== undefined && resetsAt <= exhaustsAt;
  return {
    ...projected,
    rate,
    exhaustsAt,
    ...(resetsAt !== undefined && { resetsAt, resetsFirst }),
    ...told(
      resetsFirst
        ? `resets in ${formatDuration(resetsAt - now)}, before running out`
        : `runs out in ${formatDuration(exhaustsAt - now)}`,
      label,
    ),
  };
}
