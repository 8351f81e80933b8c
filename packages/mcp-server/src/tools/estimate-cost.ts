import {
  INFERENCE_GEOS,
  parsePricingDate,
  SPEEDS,
  toDecimalString,
  type Estimate,
  type PoolStatus,
} from '@drawdown/core';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { readStatuses } from '../read-model.js';
import { usdString } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { READ_ONLY, type PricingContext } from './context.js';

const tokens = z.number().int().nonnegative();

const inputSchema = z
  .object({
    model: z.string().min(1).describe('Model id or alias, e.g. "claude-sonnet-4-5"'),
    inputTokens: tokens.optional().describe('Input tokens, if known (e.g. from count_tokens)'),
    text: z
      .string()
      .max(4_000_000)
      .optional()
      .describe('Or the prompt text; tokens are estimated from it, leaning high'),
    maxTokens: tokens.describe('max_tokens of the request: output is priced at this ceiling'),
    cacheReadTokens: tokens.optional().describe('Input tokens expected to be read from the prompt cache'),
    cacheWrite: z.enum(['5m', '1h']).optional().describe('Write the input to the prompt cache with this lifetime'),
    batch: z.boolean().optional().describe('Send through the Batch API (half price)'),
    webSearches: tokens.optional().describe('Web searches the request may run'),
    geo: z
      .enum(INFERENCE_GEOS)
      .optional()
      .describe('inference_geo: "global" (default) or "us", which costs 1.1× on Claude 4.6 and later models'),
    speed: z
      .enum(SPEEDS)
      .optional()
      .describe(
        '"standard" (default) or "fast": fast-mode rates on the models that have it (Opus 5.5, 5, 4.8); not with batch',
      ),
    at: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'write the day as YYYY-MM-DD')
      .optional()
      .describe('Price at the rates in force on this day (UTC); default now'),
  })
  .refine((v) => v.inputTokens !== undefined || v.text !== undefined, {
    message: 'give inputTokens or text, so the input can be priced',
    path: ['inputTokens'],
  });

const outputSchema = z.object({
  model: z.string(),
  inputTokens: z.number().int(),
  maxTokens: z.number().int(),
  maxCostUsd: usdString.describe('Upper bound of the request cost at API rates: what a hold reserves'),
  basis: z.string(),
  priceRow: z
    .string()
    .optional()
    .describe('Id of the rate-card row that priced the estimate, e.g. "claude-sonnet-5-5@2026-10-07"'),
  modifiers: z.object({
    batch: z.boolean(),
    fast: z.boolean(),
    usInference: z.boolean(),
    promptBandAboveTokens: z.number().int().optional(),
  }),
  lines: z.array(
    z.object({ category: z.string(), quantity: z.number(), unitPriceUsd: z.string(), costUsd: usdString }),
  ),
  warnings: z
    .array(z.string())
    .optional()
    .describe('Why the figure may be off: e.g. the day asked for is after the last day the rate card knows prices for'),
  pools: z.array(
    z.object({
      entryId: z.string().optional(),
      poolId: z.string(),
      kind: z.string(),
      state: z.enum(['available', 'low', 'exhausted']),
      chargedUsd: usdString.describe('What this pool would be charged at most'),
      remainingUsd: usdString.optional(),
      fits: z
        .boolean()
        .nullable()
        .describe('Whether the remaining money covers the estimate; null when the pool is not measured in money'),
      note: z.string(),
    }),
  ),
});
/** What the tool returns as structured content (tests read it typed). */
export type EstimateCostOutput = z.infer<typeof outputSchema>;

type PoolCost = z.infer<typeof outputSchema>['pools'][number];

/** What a pool would charge: the plan allowance bills no tokens, every other pool pays API rates. */
function costUnder(status: PoolStatus, estimate: Estimate, entryId?: string): PoolCost {
  const base = { ...(entryId !== undefined && { entryId }), poolId: status.id, kind: status.kind, state: status.state };
  if (status.kind === 'allowance') {
    return {
      ...base,
      chargedUsd: '0',
      fits: status.state === 'exhausted' ? false : null,
      note: `plan allowance: no per-token charge; counts toward plan usage limits (${status.summary})`,
    };
  }
  const remaining = status.remaining;
  const fits = remaining === undefined ? null : remaining >= estimate.maxCost && status.state !== 'exhausted';
  const note =
    status.state === 'exhausted'
      ? `cannot pay now: ${status.reason ?? status.summary}`
      : fits === false
        ? `not enough left: ${status.summary}`
        : status.summary;
  return {
    ...base,
    chargedUsd: estimate.maxCostUsd,
    ...(remaining !== undefined && { remainingUsd: toDecimalString(remaining) }),
    fits,
    note,
  };
}

export function registerEstimateCost(server: McpServer, { rateCard, now, hub, scrub, logger }: PricingContext): void {
  server.registerTool(
    'estimate_cost',
    {
      title: 'Estimate cost',
      description:
        'What a planned Claude request would cost at most, from the rate card: give the model, the input (token count or the text itself) and max_tokens, ' +
        'optionally prompt-cache reads or writes, Batch API, fast mode, US inference, web searches, and the day whose prices apply. Returns the price lines and, for each pool of the route, what that pool would be charged and whether it has enough left. ' +
        'Use it before a large or repeated request, or to compare models.',
      inputSchema,
      outputSchema,
      annotations: { title: 'Estimate cost', ...READ_ONLY },
    },
    (input) =>
      guarded('estimate_cost', scrub, logger, async () => {
        const at = input.at === undefined ? now() : parsePricingDate(input.at, 'at');
        const warning = input.at === undefined ? undefined : rateCard.dateWarning(at);
        const estimate = rateCard.estimate({
          model: input.model,
          maxTokens: input.maxTokens,
          at,
          ...(input.inputTokens !== undefined ? { inputTokens: input.inputTokens } : { text: input.text ?? '' }),
          ...(input.cacheReadTokens !== undefined && { cacheReadTokens: input.cacheReadTokens }),
          ...(input.cacheWrite !== undefined && { cacheWrite: input.cacheWrite }),
          ...(input.batch !== undefined && { batch: input.batch }),
          ...(input.webSearches !== undefined && { webSearches: input.webSearches }),
          ...(input.geo !== undefined && { geo: input.geo }),
          ...(input.speed !== undefined && { speed: input.speed }),
        });
        const b = estimate.breakdown;
        // Without a hub (no configuration yet) there are no pools to compare with: prices only.
        const { statuses, explanation } = hub ? await readStatuses(hub) : { statuses: [], explanation: undefined };
        const byId = new Map(statuses.map((s) => [s.id, s]));
        // In route order when there is a route; pools no entry uses follow, without an entry id.
        const onRoute = (explanation?.entries ?? []).map((e) => costUnder(byId.get(e.poolId)!, estimate, e.entryId));
        const used = new Set((explanation?.entries ?? []).map((e) => e.poolId));
        const offRoute = statuses.filter((s) => !used.has(s.id)).map((s) => costUnder(s, estimate));
        const costs = [...onRoute, ...offRoute];
        return jsonResult(
          {
            model: estimate.model,
            inputTokens: estimate.inputTokens,
            maxTokens: estimate.maxTokens,
            maxCostUsd: estimate.maxCostUsd,
            basis: estimate.basis,
            ...(b.priceRow !== undefined && { priceRow: b.priceRow }),
            modifiers: {
              batch: b.batch,
              fast: b.fast,
              usInference: b.usInference,
              ...(b.band && { promptBandAboveTokens: b.band.abovePromptTokens }),
            },
            lines: estimate.breakdown.lines.map((l) => ({
              category: l.category,
              quantity: l.quantity,
              unitPriceUsd: l.unitPriceUsd,
              costUsd: toDecimalString(l.nanos),
            })),
            ...(warning !== undefined && { warnings: [warning] }),
            pools: costs,
          },
          scrub,
        );
      }),
  );
}
