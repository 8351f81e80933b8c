import { describePriceRow, parsePricingDate, toDecimalString } from '@drawdown/core';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { usdString } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { READ_ONLY, type PricingContext } from './context.js';

const provenance = {
  source: z.string().optional().describe('Page the price was read from'),
  evidence: z
    .enum(['A', 'Q', 'U', 'config'])
    .describe(
      'A: read on an Anthropic page; Q: Anthropic text quoted by 2+ copies; U: unconfirmed; config: from the configuration',
    ),
  note: z.string().optional(),
};
const rates = {
  inputPerMTokUsd: usdString,
  cacheWrite5mPerMTokUsd: usdString,
  cacheWrite1hPerMTokUsd: usdString,
  cacheReadPerMTokUsd: usdString.describe('Cache hits and refreshes'),
  outputPerMTokUsd: usdString,
};

const priceSchema = z.object({
  id: z.string().describe('Row id recorded on each charge it prices'),
  model: z.string(),
  aliases: z.array(z.string()),
  effectiveFrom: z.string().nullable().describe('YYYY-MM-DD the price took effect; null when it applies at every date'),
  ...rates,
  bands: z
    .array(z.object({ abovePromptTokens: z.number().int(), ...rates, ...provenance }))
    .describe(
      'Prompt-length bands: above the threshold (input + cache writes + cache reads), every token of the request, output included, is priced at the band',
    ),
  fast: z
    .object({ ...rates, ...provenance })
    .optional()
    .describe('Fast-mode rates (usage.speed "fast"); not combinable with batch'),
  usInferenceMultiplier: z.string().optional().describe('Applies to every token category with inference_geo "us"'),
  tokenizerFactor: z.number().describe('Tokens per text relative to older models; matters for estimates'),
  ...provenance,
  origin: z.enum(['built-in', 'override']),
});

const outputSchema = z.object({
  at: z.string(),
  models: z.array(priceSchema),
  batchMultiplier: z.string().describe('On every token category'),
  webSearchPerRequestUsd: usdString.describe('Flat per request, not multiplied by batch or US inference'),
  warnings: z
    .array(z.string())
    .optional()
    .describe('Why the prices may be off: e.g. the day asked for is after the last day the rate card knows prices for'),
});
/** What the tool returns as structured content (tests read it typed). */
export type RateCardOutput = z.infer<typeof outputSchema>;

export function registerRateCard(server: McpServer, { rateCard: card, now, scrub, logger }: PricingContext): void {
  server.registerTool(
    'rate_card',
    {
      title: 'Rate card',
      description:
        'The API prices in force per million tokens — input, 5-minute and 1-hour cache writes, cache hits, output, prompt-length bands, fast mode and the US-inference multiplier — ' +
        "for one model (by id, alias, Bedrock or Vertex name) or every priced model, on a given day or now, with each row's source, plus the Batch API multiplier and the web search price. " +
        'Use it when the user asks what a model costs or to compare models; use estimate_cost for the cost of a specific request.',
      inputSchema: z.object({
        model: z.string().min(1).optional().describe('Model id or alias; omit for every model'),
        at: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/, 'write the day as YYYY-MM-DD')
          .optional()
          .describe('The day (UTC) whose prices to show; default now'),
      }),
      outputSchema,
      annotations: { title: 'Rate card', ...READ_ONLY },
    },
    ({ model, at: day }) =>
      guarded('rate_card', scrub, logger, async () => {
        const at = day === undefined ? now() : parsePricingDate(day, 'at');
        const warning = day === undefined ? undefined : card.dateWarning(at);
        const prices = model === undefined ? card.models(at) : [card.resolve(model, at)];
        const [num, den] = card.modifiers.batch;
        return jsonResult(
          {
            at: new Date(at).toISOString(),
            models: prices.map((row) => describePriceRow(row, card.modifiers)),
            batchMultiplier: toDecimalString(Math.round((num * 1_000_000_000) / den)),
            webSearchPerRequestUsd: toDecimalString(card.modifiers.webSearchPerRequest),
            ...(warning !== undefined && { warnings: [warning] }),
          },
          scrub,
        );
      }),
  );
}
