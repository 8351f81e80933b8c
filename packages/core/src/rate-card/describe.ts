import { toDecimalString } from '../money.js';
import { exactUsd } from './exact.js';
import type { CardModifiers } from './rate-card.js';
import type { Evidence, PriceRates, PriceRow } from './schema.js';

/** The five categories as exact decimal USD per million tokens. */
export interface RatesView {
  inputPerMTokUsd: string;
  cacheWrite5mPerMTokUsd: string;
  cacheWrite1hPerMTokUsd: string;
  cacheReadPerMTokUsd: string;
  outputPerMTokUsd: string;
}

interface ProvenanceView {
  source?: string;
  evidence: Evidence;
  note?: string;
}

/** A price row as JSON: exact decimal strings only, for `drawdown rates --json` and the MCP `rate_card` tool. */
export interface PriceRowView extends RatesView, ProvenanceView {
  id: string;
  model: string;
  aliases: string[];
  /** `YYYY-MM-DD`, or null when the row applies at every date. */
  effectiveFrom: string | null;
  bands: Array<{ abovePromptTokens: number } & RatesView & ProvenanceView>;
  fast?: RatesView & ProvenanceView;
  /** Multiplier for `inference_geo: "us"`, when the model prices it ("1.1"). */
  usInferenceMultiplier?: string;
  tokenizerFactor: number;
  origin: PriceRow['origin'];
}

function ratesView(rates: PriceRates): RatesView {
  return {
    inputPerMTokUsd: toDecimalString(rates.input),
    cacheWrite5mPerMTokUsd: toDecimalString(rates.cacheWrite5m),
    cacheWrite1hPerMTokUsd: toDecimalString(rates.cacheWrite1h),
    cacheReadPerMTokUsd: toDecimalString(rates.cacheRead),
    outputPerMTokUsd: toDecimalString(rates.output),
  };
}

function provenance(p: { source?: string; evidence: Evidence; note?: string }): ProvenanceView {
  return {
    ...(p.source !== undefined && { source: p.source }),
    evidence: p.evidence,
    ...(p.note !== undefined && { note: p.note }),
  };
}

/** Describes a row with its bands, fast-mode rates and US-inference multiplier. */
export function describePriceRow(row: PriceRow, modifiers: CardModifiers): PriceRowView {
  const [num, den] = modifiers.usInference;
  return {
    id: row.id,
    model: row.model,
    aliases: row.aliases,
    effectiveFrom: row.effectiveFromDate ?? null,
    ...ratesView(row.rates),
    bands: row.bands.map((band) => ({
      abovePromptTokens: band.abovePromptTokens,
      ...ratesView(band.rates),
      ...provenance(band),
    })),
    ...(row.fast && { fast: { ...ratesView(row.fast.rates), ...provenance(row.fast) } }),
    ...(row.usInference && { usInferenceMultiplier: exactUsd(BigInt(num) * 1_000_000_000n, BigInt(den)) }),
    tokenizerFactor: row.tokenizerFactor,
    ...provenance(row),
    origin: row.origin,
  };
}
