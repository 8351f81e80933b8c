import { toDecimalString } from '@drawdown/core';
import type { PoolForecast } from '@drawdown/core/forecast';
import { z } from 'zod';

const usd = z
  .string()
  .regex(/^-?\d+(\.\d{1,9})?$/)
  .describe('Exact decimal USD');
const isoTime = z.string().describe('ISO 8601 instant');

/** A pool's forecast as `pool_status` returns it: always marked, with the rate it assumes. */
export const forecastSchema = z
  .object({
    forecast: z.literal(true).describe('Always true: a projection from recent use, not a measurement'),
    basis: z
      .enum(['projected', 'not-enough-data', 'idle'])
      .describe('projected from a measured rate; not-enough-data (no rate is invented); idle'),
    outlook: z.string().describe('What happens next, e.g. "runs out in 8h 20m"'),
    assumes: z.string().optional().describe('The rate assumed, e.g. "$0.60/h, last hours"'),
    summary: z.string().describe('outlook and rate as one line, starting "forecast:"'),
    rate: z
      .object({
        perHourUsd: usd.describe('Spend per hour at the assumed rate'),
        window: z.string().describe('The averaging window: "last hours" or "last days"'),
        halfLifeHours: z.number().describe('Weight halves every this many hours'),
      })
      .optional(),
    utilizationRate: z
      .object({ perHour: z.number(), window: z.string(), limit: z.string() })
      .optional()
      .describe('Plan pools: share of the binding window used per hour'),
    exhaustsAt: isoTime.optional().describe('When the pool runs out at this rate'),
    resetsAt: isoTime.optional(),
    resetsFirst: z.boolean().optional().describe('True when the limit resets before the pool would run out'),
    autoReload: z
      .object({ at: isoTime.optional(), amountUsd: usd.optional(), blockedBy: z.string().optional() })
      .optional()
      .describe('Credits: when auto-reload fires at this rate, or what stops it'),
    stoppedBy: z
      .object({ limit: z.string(), at: isoTime, resetsAt: isoTime.optional() })
      .optional()
      .describe('Credits: the cap that stops spending first (monthly limit, daily ceiling)'),
  })
  .describe('Where the pool is heading at its recent rate');

export type ForecastView = z.infer<typeof forecastSchema>;

const iso = (ms: number): string => new Date(ms).toISOString();

export function forecastView(f: PoolForecast): ForecastView {
  return {
    forecast: true,
    basis: f.basis,
    outlook: f.outlook,
    ...(f.assumes !== undefined && { assumes: f.assumes }),
    summary: f.summary,
    ...(f.rate && {
      rate: { perHourUsd: toDecimalString(f.rate.perHour), window: f.rate.window, halfLifeHours: f.rate.halfLifeHours },
    }),
    ...(f.utilizationRate && { utilizationRate: f.utilizationRate }),
    ...(f.exhaustsAt !== undefined && { exhaustsAt: iso(f.exhaustsAt) }),
    ...(f.resetsAt !== undefined && { resetsAt: iso(f.resetsAt) }),
    ...(f.resetsFirst !== undefined && { resetsFirst: f.resetsFirst }),
    ...(f.autoReload && {
      autoReload: {
        ...(f.autoReload.at !== undefined && { at: iso(f.autoReload.at) }),
        ...(f.autoReload.amount !== undefined && { amountUsd: toDecimalString(f.autoReload.amount) }),
        ...(f.autoReload.blockedBy !== undefined && { blockedBy: f.autoReload.blockedBy }),
      },
    }),
    ...(f.stoppedBy && {
      stoppedBy: {
        limit: f.stoppedBy.limit,
        at: iso(f.stoppedBy.at),
        ...(f.stoppedBy.resetsAt !== undefined && { resetsAt: iso(f.stoppedBy.resetsAt) }),
      },
    }),
  };
}
