/**
 * Anthropic's published API prices in force in 2026, in USD per million tokens. Modifiers (cache
 * writes, cache reads, batch, US inference, web search) are card-wide and live in `rate-card.ts`.
 * `effectiveFrom` is the first day a price applies; an override with a later date supersedes it.
 */
export interface ModelPriceInput {
  /** Canonical model id, as the API's alias names it: `claude-sonnet-4-5`. */
  model: string;
  /** Other names that mean the same model: dated snapshots, `-latest`, older ids. */
  aliases?: string[];
  /** ISO date (`YYYY-MM-DD`, UTC) from which this price applies. */
  effectiveFrom?: string;
  /** USD per million input tokens, as a decimal string. */
  inputPerMTok: string;
  /** USD per million output tokens, as a decimal string. */
  outputPerMTok: string;
  /** Long-context pricing: when input + cache read + cache write exceeds the threshold, the whole request bills at these rates. */
  longContext?: { thresholdTokens: number; inputPerMTok: string; outputPerMTok: string };
  /** Whether `inference_geo: "us"` applies the 1.1× multiplier to this model. */
  usInferenceMultiplier?: boolean;
  /** How many more tokens this model's tokenizer may use for the same text (1.35 = up to 35% more). Estimates only. */
  tokenizerFactor?: number;
}

const sonnetLongContext = { thresholdTokens: 200_000, inputPerMTok: '6', outputPerMTok: '22.50' };

export const PRICES_2026: readonly ModelPriceInput[] = [
  { model: 'claude-haiku-4-5', aliases: ['claude-haiku-4-5-20251001'], effectiveFrom: '2025-10-15', inputPerMTok: '1', outputPerMTok: '5' },
  { model: 'claude-sonnet-4-5', aliases: ['claude-sonnet-4-5-20250929'], effectiveFrom: '2025-09-29', inputPerMTok: '3', outputPerMTok: '15', longContext: sonnetLongContext },
  { model: 'claude-sonnet-4-6', effectiveFrom: '2026-02-17', inputPerMTok: '3', outputPerMTok: '15' },
  { model: 'claude-opus-4-5', aliases: ['claude-opus-4-5-20251101'], effectiveFrom: '2025-11-24', inputPerMTok: '5', outputPerMTok: '25' },
  { model: 'claude-opus-4-6', effectiveFrom: '2026-02-05', inputPerMTok: '5', outputPerMTok: '25', usInferenceMultiplier: true },
  { model: 'claude-opus-4-7', effectiveFrom: '2026-04-16', inputPerMTok: '5', outputPerMTok: '25', usInferenceMultiplier: true, tokenizerFactor: 1.35 },
  // Earlier models still served to existing integrations.
  { model: 'claude-sonnet-4-0', aliases: ['claude-sonnet-4-20250514', 'claude-sonnet-4'], effectiveFrom: '2025-05-22', inputPerMTok: '3', outputPerMTok: '15', longContext: sonnetLongContext },
  { model: 'claude-opus-4-1', aliases: ['claude-opus-4-1-20250805'], effectiveFrom: '2025-08-05', inputPerMTok: '15', outputPerMTok: '75' },
  { model: 'claude-opus-4-0', aliases: ['claude-opus-4-20250514', 'claude-opus-4'], effectiveFrom: '2025-05-22', inputPerMTok: '15', outputPerMTok: '75' },
  { model: 'claude-3-7-sonnet', aliases: ['claude-3-7-sonnet-20250219', 'claude-3-7-sonnet-latest'], effectiveFrom: '2025-02-24', inputPerMTok: '3', outputPerMTok: '15' },
  { model: 'claude-3-5-haiku', aliases: ['claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest'], effectiveFrom: '2024-11-04', inputPerMTok: '0.80', outputPerMTok: '4' },
  { model: 'claude-3-haiku', aliases: ['claude-3-haiku-20240307'], effectiveFrom: '2024-03-13', inputPerMTok: '0.25', outputPerMTok: '1.25' },
];
