import { z } from 'zod';
import { forecastSchema } from './forecast-view.js';

/**
 * Output shapes shared by tools and resources. Money is an exact decimal USD string, instants are
 * ISO 8601 strings, so nothing a client reads is a float or an epoch it has to decode.
 */
export const usdString = z
  .string()
  .regex(/^-?\d+(\.\d{1,9})?$/)
  .describe('Exact decimal USD, e.g. "4.2" or "0.0735"');
const isoTime = z.string().describe('ISO 8601 instant');

export const autoReloadSchema = z.object({
  state: z
    .enum(['armed', 'reloading', 'disabled'])
    .optional()
    .describe('Where the pool reports it: armed, reloading now, or disabled after failed charges'),
  disabledReason: z
    .string()
    .optional()
    .describe('Why auto-reload turned itself off; setting it again turns it back on'),
  thresholdUsd: usdString.describe('Reload when the balance falls below this'),
  amountUsd: usdString.optional().describe('Buy exactly this much per reload'),
  targetBalanceUsd: usdString.optional().describe('Or top the balance up to this'),
  monthlyLimitUsd: usdString.optional().describe('At most this much reloaded per calendar month'),
});

export const routePositionSchema = z.object({
  entryId: z.string(),
  position: z.number().int().describe('0 is the first entry of the route'),
  state: z.string().describe('next | standby | exhausted | left | needs-opt-in'),
  reason: z.string(),
});

export const limitSchema = z.object({
  name: z.string(),
  status: z.enum(['allowed', 'allowed_warning', 'rejected']),
  usedUsd: usdString.optional(),
  capUsd: usdString.optional(),
  utilization: z.number().optional(),
  resetsAt: isoTime.optional(),
});

export const poolSchema = z.object({
  id: z.string(),
  kind: z.string().describe('allowance | budget | credits | apiKey | a plugin kind'),
  state: z.enum(['available', 'low', 'exhausted']),
  summary: z.string().describe('One line a person can read'),
  reason: z.string().optional().describe('Why the pool is exhausted'),
  remainingUsd: usdString.optional().describe('Money left before the binding limit'),
  limitUsd: usdString.optional().describe('The binding limit (cap or funds granted)'),
  spentUsd: usdString.describe('Settled spend in the binding scope'),
  heldUsd: usdString.describe('Reserved by requests in flight'),
  utilization: z.number().optional().describe('0–1 share of the binding limit used'),
  resetsAt: isoTime.optional().describe('When the binding limit resets'),
  limits: z.array(limitSchema),
  autoReload: autoReloadSchema.nullable().optional().describe('null: the pool can auto-reload but it is off'),
  route: z.array(routePositionSchema).describe('Route entries that draw from this pool'),
  forecast: forecastSchema.optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const poolsSchema = z.object({
  at: isoTime,
  timeZone: z.string(),
  pools: z.array(poolSchema),
});

export const entrySchema = z.object({
  entryId: z.string(),
  poolId: z.string(),
  strategyId: z.string(),
  position: z.number().int(),
  state: z.enum(['next', 'standby', 'exhausted', 'left', 'needs-opt-in']),
  reason: z.string(),
  resetsAt: isoTime.optional(),
  pool: poolSchema,
});

export const routeSchema = z.object({
  next: z.object({ entryId: z.string(), poolId: z.string(), strategyId: z.string(), reason: z.string() }).optional(),
  refusal: z.object({ code: z.string(), message: z.string() }).optional(),
  whenExhausted: z.string(),
  entries: z.array(entrySchema),
});

export type AutoReloadView = z.infer<typeof autoReloadSchema>;
export type RoutePositionView = z.infer<typeof routePositionSchema>;
export type LimitView = z.infer<typeof limitSchema>;
export type PoolView = z.infer<typeof poolSchema>;
export type PoolsView = z.infer<typeof poolsSchema>;
export type EntryView = z.infer<typeof entrySchema>;
export type RouteView = z.infer<typeof routeSchema>;
