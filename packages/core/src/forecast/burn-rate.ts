import type { Nanos } from '../money.js';

/** Settled spend as the forecast sees it: when, and how much. */
export interface SpendPoint {
  at: number;
  amount: Nanos;
  /** How many charges the point stands for (their sum at their cost-weighted mean instant); 1 when absent. */
  charges?: number;
}

/** A named averaging window: recent spend weighs more, halving in weight every `halfLifeMs`. */
export interface RateWindow {
  /** How the forecast names the window to people: "last hours", "last days". */
  name: string;
  halfLifeMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * The two windows every forecast compares: one that follows a burst within the hour, one that
 * remembers the usual pace of the week. The forecast assumes the faster of the two, so a burst
 * shortens the projection at once and a quiet hour does not hide a busy week.
 */
export const RATE_WINDOWS = {
  hours: { name: 'last hours', halfLifeMs: 3 * HOUR_MS },
  days: { name: 'last days', halfLifeMs: 48 * HOUR_MS },
} as const satisfies Record<string, RateWindow>;

/** Charges older than this do not count (each window's weight there is negligible anyway). */
export const LOOKBACK_MS = 7 * 24 * HOUR_MS;

/**
 * Below this much evidence a rate would be invented, not measured: at least three charges spread
 * over at least a quarter of an hour.
 */
export const MIN_CHARGES = 3;
export const MIN_SPAN_MS = 15 * 60_000;

export interface BurnRate {
  /** Nanodollars per hour, rounded to a whole nanodollar (a projection, never a ledger amount). */
  perHour: Nanos;
  /** The window's name, e.g. "last hours". */
  window: string;
  halfLifeHours: number;
}

export type RateEvidence =
  | { enough: true; charges: number; spanMs: number; lastAt: number }
  | { enough: false; charges: number; spanMs: number; reason: string };

/** Whether the points within the lookback are enough to measure a rate, and why not. */
export function rateEvidence(points: readonly SpendPoint[], now: number): RateEvidence {
  const recent = points.filter((p) => p.at <= now && p.at > now - LOOKBACK_MS && p.amount > 0);
  let count = 0;
  let first = Number.POSITIVE_INFINITY;
  let lastAt = Number.NEGATIVE_INFINITY;
  for (const p of recent) {
    count += p.charges ?? 1;
    first = Math.min(first, p.at);
    lastAt = Math.max(lastAt, p.at);
  }
  const spanMs = recent.length === 0 ? 0 : now - first;
  if (count < MIN_CHARGES || spanMs < MIN_SPAN_MS) {
    const charges = `${count} charge${count === 1 ? '' : 's'}`;
    return {
      enough: false,
      charges: count,
      spanMs,
      reason: `not enough data: ${charges} in 7 days, a rate needs ${MIN_CHARGES} over 15m`,
    };
  }
  return { enough: true, charges: count, spanMs, lastAt };
}

/**
 * Exponentially weighted spend rate over `window`: each charge weighs `2^(-age / halfLife)`, and
 * the sum is divided by the weighted length of time observed (from the first charge to `now`), so
 * a short history is not mistaken for a slow one. The first charge only marks where observation
 * began; counting its amount too would overstate the rate of a steady stream.
 */
export function burnRate(points: readonly SpendPoint[], now: number, window: RateWindow): BurnRate {
  const recent = points
    .filter((p) => p.at <= now && p.at > now - LOOKBACK_MS && p.amount > 0)
    .sort((a, b) => a.at - b.at);
  const lambda = Math.LN2 / window.halfLifeMs;
  const first = recent[0];
  let weighted = 0;
  for (const p of recent.slice(1)) weighted += p.amount * Math.exp(-lambda * (now - p.at));
  const span = first === undefined ? 0 : now - first.at;
  // ∫ λ·e^(−λs) ds over the observed span: the share of an endless steady stream that was seen.
  const observed = 1 - Math.exp(-lambda * span);
  const perMs = observed > 0 ? (weighted * lambda) / observed : 0;
  return {
    perHour: Math.round(perMs * HOUR_MS),
    window: window.name,
    halfLifeHours: window.halfLifeMs / HOUR_MS,
  };
}

/** The rate a forecast assumes: the faster of the hours and days windows. */
export function assumedRate(points: readonly SpendPoint[], now: number): BurnRate {
  const hours = burnRate(points, now, RATE_WINDOWS.hours);
  const days = burnRate(points, now, RATE_WINDOWS.days);
  return hours.perHour >= days.perHour ? hours : days;
}
