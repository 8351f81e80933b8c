import { formatUsd, toDecimalString, type PoolStatus } from '@drawdown/core';
import type { PoolForecast } from '@drawdown/core/forecast';
import { upcomingDays } from './days.js';

/** Days the chart's projection reaches past today. */
const HORIZON_DAYS = 7;

/**
 * The projection the spend chart draws (dashed, marked "forecast"): the pools' forecasts from
 * `@drawdown/core/forecast`, as spend per day. Never a measurement, and without a measured rate it
 * says "not enough data" instead of drawing a line.
 */
export interface SpendForecast {
  forecast: true;
  /** `projected`: some pool has a measured rate; `idle`: rates measured, nothing spent lately; otherwise `not-enough-data`. */
  basis: 'projected' | 'idle' | 'not-enough-data';
  /** Today and the days after it the projection covers. */
  days: string[];
  /** Spend per day at the rates the pools' forecasts assume (their sum), exact decimal USD. */
  perDayUsd?: string;
  /** The rate each projected pool's forecast assumes: "credits $0.60/h, last hours". */
  assumes: string[];
  /** One line for the chart, starting "forecast:". */
  summary: string;
}

/** The chart's projection from the pools' forecasts (plan pools, measured in window shares, are left out). */
export function spendForecast(
  statuses: readonly PoolStatus[],
  forecasts: readonly PoolForecast[],
  now: number,
  timeZone: string,
): SpendForecast {
  const days = upcomingDays(now, timeZone, HORIZON_DAYS + 1);
  const money = forecasts.filter((_f, i) => statuses[i]?.kind !== 'allowance');
  const projected = money.filter((f) => f.basis === 'projected' && f.rate !== undefined);
  if (projected.length === 0) {
    const idle = money.some((f) => f.basis === 'idle');
    const reason = money.find((f) => f.basis === 'not-enough-data')?.outlook ?? 'not enough data';
    return {
      forecast: true,
      basis: idle ? 'idle' : 'not-enough-data',
      days,
      assumes: [],
      summary: idle ? 'forecast: idle, nothing spent lately' : `forecast: ${reason}`,
    };
  }
  const perDay = projected.reduce((sum, f) => sum + f.rate!.perHour * 24, 0);
  const assumes = projected.map((f) => `${f.poolId} ${f.assumes}`);
  return {
    forecast: true,
    basis: 'projected',
    days,
    perDayUsd: toDecimalString(perDay),
    assumes,
    summary: `forecast: ${formatUsd(perDay)}/day at the rates assumed (${assumes.join('; ')})`,
  };
}
