import { MODIFIERS, NANOS_PER_USD, WEB_SEARCH_PER_REQUEST, mulDivHalfEven, toDecimalString, type ModelPrice, type Nanos } from '@drawdown/core';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { usdString } from '../schemas.js';
import { guarded, jsonResult } from '../tool-result.js';
import { READ_ONLY, type ToolContext } from './context.js';

const priceSchema = z.object({
  model: z.string(),
  aliases: z.array(z.string()),
  effectiveFrom: z.string().describe('YYYY-MM-DD the price took effect'),
  inputPerMTokUsd: usdString,
  outputPerMTokUsd: usdString,
  cacheWrite5mPerMTokUsd: usdString,
  cacheWrite1hPerMTokUsd: usdString,
  cacheReadPerMTokUsd: usdString,
  longContext: z.object({ aboveInputTokens: z.number().int(), inputPerMTokUsd: usdString, outputPerMTokUsd: usdString }).optional(),
  usInferenceMultiplier: z.string().optional().describe('Applies to every token category with inference_geo "us"'),
  tokenizerFactor: z.number().describe('Tokens per text relative to older models; matters for estimates'),
});

const outputSchema = z.object({
  at: z.string(),
  models: z.array(priceSchema),
  batchMultiplier: z.string(),
  webSearchPerRequestUsd: usdString,
});

const scaled = (price: Nanos, [num, den]: readonly [number, number]): string => toDecimalString(mulDivHalfEven(price, num, den));
const ratio = ([num, den]: readonly [number, number]): string => toDecimalString(mulDivHalfEven(NANOS_PER_USD, num, den));

function priceView(p: ModelPrice) {
  return {
    model: p.model,
    aliases: p.aliases,
    effectiveFrom: new Date(p.effectiveFrom).toISOString().slice(0, 10),
    inputPerMTokUsd: toDecimalString(p.inputPerMTok),
    outputPerMTokUsd: toDecimalString(p.outputPerMTok),
    cacheWrite5mPerMTokUsd: scaled(p.inputPerMTok, MODIFIERS.cacheWrite5m),
    cacheWrite1hPerMTokUsd: scaled(p.inputPerMTok, MODIFIERS.cacheWrite1h),
    cacheReadPerMTokUsd: scaled(p.inputPerMTok, MODIFIERS.cacheRead),
    ...(p.longContext && {
      longContext: { aboveInputTokens: p.longContext.thresholdTokens, inputPerMTokUsd: toDecimalString(p.longContext.inputPerMTok), outputPerMTokUsd: toDecimalString(p.longContext.outputPerMTok) },
    }),
    ...(p.usInferenceMultiplier && { usInferenceMultiplier: ratio(MODIFIERS.usInference) }),
    tokenizerFactor: p.tokenizerFactor,
  };
}

export function registerRateCard(server: McpServer, { hub, scrub, logger }: ToolContext): void {
  server.registerTool(
    'rate_card',
    {
      title: 'Rate card',
      description:
        'The API prices in force per million tokens — input, output, 5-minute and 1-hour cache writes, cache reads, long-context and US-inference rules — ' +
        'for one model (by id or alias) or every priced model, plus the Batch API multiplier and the web search price. ' +
        'Use it when the user asks what a model costs or to compare models; use estimate_cost for the cost of a specific request.',
      inputSchema: z.object({ model: z.string().min(1).optional().describe('Model id or alias; omit for every model') }),
      outputSchema,
      annotations: { title: 'Rate card', ...READ_ONLY },
    },
    ({ model }) =>
      guarded('rate_card', scrub, logger, async () => {
        const at = hub.clock.now();
        const prices = model === undefined ? hub.rateCard.models(at) : [hub.rateCard.resolve(model, at)];
        return jsonResult(
          { at: new Date(at).toISOString(), models: prices.map(priceView), batchMultiplier: ratio(MODIFIERS.batch), webSearchPerRequestUsd: toDecimalString(WEB_SEARCH_PER_REQUEST) },
          scrub,
        );
      }),
  );
}
