import { DrawdownError, ErrorCodes, invalidOption } from '../errors.js';
import { mulDivHalfEven, toDecimalString, usd, type Nanos } from '../money.js';
import { closestNames, normalizeModelName } from './model-names.js';
import { PRICES_2026, type ModelPriceInput } from './prices-2026.js';
import { billableQuantities, type BillableQuantities } from './usage.js';

/** Card-wide multipliers as exact fractions [numerator, denominator]. */
export const MODIFIERS = {
  cacheWrite5m: [5, 4],
  cacheWrite1h: [2, 1],
  cacheRead: [1, 10],
  batch: [1, 2],
  usInference: [11, 10],
} as const;

/** USD per web search request ($10 per 1,000). */
export const WEB_SEARCH_PER_REQUEST: Nanos = usd('0.01');

export interface ModelPrice {
  model: string;
  aliases: string[];
  effectiveFrom: number;
  inputPerMTok: Nanos;
  outputPerMTok: Nanos;
  longContext?: { thresholdTokens: number; inputPerMTok: Nanos; outputPerMTok: Nanos };
  usInferenceMultiplier: boolean;
  tokenizerFactor: number;
}

export type CostCategory = 'input' | 'output' | 'cache_write_5m' | 'cache_write_1h' | 'cache_read' | 'web_search';

export interface CostLine {
  category: CostCategory;
  /** Tokens, or requests for web search. */
  quantity: number;
  /** Price per million tokens (per request for web search) after every modifier, exact decimal USD. */
  unitPriceUsd: string;
  nanos: Nanos;
}

export interface CostBreakdown {
  /** Canonical model id the price came from. */
  model: string;
  lines: CostLine[];
  total: Nanos;
  /** Exact decimal USD, e.g. "0.0735". */
  totalUsd: string;
  longContext: boolean;
  batch: boolean;
  usInference: boolean;
}

export interface PriceOptions {
  /** Bill at Batch API rates (also implied by `usage.service_tier: "batch"`). */
  batch?: boolean;
  /** Inference geography; `"us"` applies 1.1× on models that price it (also implied by `usage.inference_geo`). */
  geo?: string;
  /** When the request happened (epoch ms); picks the price in force. Defaults to now. */
  at?: number;
}

export interface EstimateRequest extends PriceOptions {
  model: string;
  /** Input tokens if known (e.g. from count_tokens). */
  inputTokens?: number;
  /** Or the text to be sent; tokens are estimated conservatively from it. */
  text?: string;
  /** Output ceiling of the request. */
  maxTokens: number;
  /** Input tokens expected to be read from cache (billed at 0.1×). */
  cacheReadTokens?: number;
  /** Write the input to cache with this lifetime (billed at 1.25× or 2×). */
  cacheWrite?: '5m' | '1h';
  /** Web searches the request may run. */
  webSearches?: number;
  /** Override the model's tokenizer factor (1.35 for Opus 4.7). */
  tokenizerFactor?: number;
}

export interface Estimate {
  model: string;
  /** Upper bound of the request's cost: what a reservation holds. */
  maxCost: Nanos;
  maxCostUsd: string;
  inputTokens: number;
  maxTokens: number;
  breakdown: CostBreakdown;
  /** One sentence on how the figure was reached, for "why was this hold so large?". */
  basis: string;
}

export type UnknownModelPolicy = 'error' | { priceAs: string };

export interface RateCardOptions {
  /** Extra or replacement prices; a later `effectiveFrom` supersedes the built-in price from that day. */
  overrides?: ModelPriceInput[];
  /** Leave out the built-in 2026 Anthropic prices (use only `overrides`). */
  builtIn?: boolean;
  /** What to do with a model the card does not know: a coded error (default), or price it as a named model. */
  unknownModel?: UnknownModelPolicy;
}

/** Characters per token assumed when estimating from text: below the usual 3.5–4, so holds lean high. */
export const CHARS_PER_TOKEN_ESTIMATE = 3;

export interface RateCard {
  /** The price in force for a model at a time; throws DRAWDOWN_UNKNOWN_MODEL with suggestions. */
  resolve(model: string, at?: number): ModelPrice;
  /** Exact cost of a reported `usage`. */
  price(model: string, usage: unknown, options?: PriceOptions): CostBreakdown;
  /** Exact cost of already-extracted quantities. */
  priceQuantities(model: string, quantities: BillableQuantities, at?: number): CostBreakdown;
  /** Upper bound of a planned request's cost, for reservations. */
  estimate(request: EstimateRequest): Estimate;
  /** Every model priced at `at` (default now), canonical ids. */
  models(at?: number): ModelPrice[];
}

function parseDate(value: string | undefined, field: string): number {
  if (value === undefined) return 0;
  const time = Date.parse(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(time)) {
    throw invalidOption('rateCard', field, `is "${value}", not a date`, 'Write it as YYYY-MM-DD.');
  }
  return time;
}

function compile(input: ModelPriceInput, field: string): ModelPrice {
  if (typeof input.model !== 'string' || input.model.trim() === '') {
    throw invalidOption('rateCard', `${field}.model`, 'is missing', 'Give the model id, e.g. "claude-sonnet-4-5".');
  }
  const money = (value: string, name: string): Nanos => {
    try {
      const nanos = usd(value);
      if (nanos < 0) throw new Error('negative');
      return nanos;
    } catch {
      throw invalidOption('rateCard', `${field}.${name}`, `is "${value}", not a non-negative USD amount`, 'Write it as a decimal string like "3" or "0.80".');
    }
  };
  const factor = input.tokenizerFactor ?? 1;
  if (!(factor >= 1 && factor <= 3)) {
    throw invalidOption('rateCard', `${field}.tokenizerFactor`, `is ${factor}`, 'Use a number between 1 and 3.');
  }
  return {
    model: normalizeModelName(input.model),
    aliases: (input.aliases ?? []).map(normalizeModelName),
    effectiveFrom: parseDate(input.effectiveFrom, `${field}.effectiveFrom`),
    inputPerMTok: money(input.inputPerMTok, 'inputPerMTok'),
    outputPerMTok: money(input.outputPerMTok, 'outputPerMTok'),
    ...(input.longContext && {
      longContext: {
        thresholdTokens: input.longContext.thresholdTokens,
        inputPerMTok: money(input.longContext.inputPerMTok, 'longContext.inputPerMTok'),
        outputPerMTok: money(input.longContext.outputPerMTok, 'longContext.outputPerMTok'),
      },
    }),
    usInferenceMultiplier: input.usInferenceMultiplier ?? false,
    tokenizerFactor: factor,
  };
}

function perMTokDecimal(pricePerMTok: Nanos, num: number, den: number): string {
  return toDecimalString(mulDivHalfEven(pricePerMTok, num, den));
}

/** Creates a rate card: the built-in 2026 prices plus any overrides. */
export function createRateCard(options: RateCardOptions = {}): RateCard {
  const builtIn = options.builtIn === false ? [] : PRICES_2026.map((input, i) => compile(input, `builtIn[${i}]`));
  const overrides = (options.overrides ?? []).map((input, i) => compile(input, `overrides[${i}]`));
  // For each canonical name, its prices sorted newest first.
  const history = new Map<string, ModelPrice[]>();
  const nameToModel = new Map<string, string>();
  [...builtIn, ...overrides].forEach((price) => {
    const list = history.get(price.model) ?? [];
    list.push(price);
    list.sort((a, b) => b.effectiveFrom - a.effectiveFrom);
    history.set(price.model, list);
    nameToModel.set(price.model, price.model);
    for (const alias of price.aliases) nameToModel.set(alias, price.model);
  });
  const policy = options.unknownModel ?? 'error';
  if (policy !== 'error' && !nameToModel.has(normalizeModelName(policy.priceAs))) {
    throw invalidOption('rateCard', 'unknownModel.priceAs', `names "${policy.priceAs}", which the card does not price`, 'Name a priced model such as "claude-opus-4-7".');
  }

  function lookup(model: string): string | undefined {
    return nameToModel.get(model.trim().toLowerCase()) ?? nameToModel.get(normalizeModelName(model));
  }

  function resolve(model: string, at = Date.now()): ModelPrice {
    const canonical = lookup(model) ?? (policy === 'error' ? undefined : lookup(policy.priceAs));
    if (canonical === undefined) {
      const suggestions = closestNames(model, nameToModel.keys());
      throw new DrawdownError(
        ErrorCodes.UNKNOWN_MODEL,
        `No price for model "${model}". Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}? Add it with rateCard overrides if it is new.`,
        { data: { model, suggestions } },
      );
    }
    const prices = history.get(canonical)!;
    return prices.find((p) => p.effectiveFrom <= at) ?? prices[prices.length - 1]!;
  }

  function priceQuantities(model: string, q: BillableQuantities, at?: number): CostBreakdown {
    const price = resolve(model, at);
    const promptTokens = q.inputTokens + q.cacheReadTokens + q.cacheWrite5mTokens + q.cacheWrite1hTokens;
    const longContext = price.longContext !== undefined && promptTokens > price.longContext.thresholdTokens;
    const inputRate = longContext ? price.longContext!.inputPerMTok : price.inputPerMTok;
    const outputRate = longContext ? price.longContext!.outputPerMTok : price.outputPerMTok;
    const usInference = q.usInference && price.usInferenceMultiplier;
    // Common multiplier of every token line: batch and US inference stack with the cache multipliers.
    let num = 1;
    let den = 1;
    if (q.batch) [num, den] = [num * MODIFIERS.batch[0], den * MODIFIERS.batch[1]];
    if (usInference) [num, den] = [num * MODIFIERS.usInference[0], den * MODIFIERS.usInference[1]];

    const lines: CostLine[] = [];
    const tokenLine = (category: CostCategory, tokens: number, rate: Nanos, modifier: readonly [number, number] = [1, 1]): void => {
      if (tokens === 0) return;
      const lineNum = num * modifier[0];
      const lineDen = den * modifier[1];
      const nanos = mulDivHalfEven(tokens * lineNum, rate, lineDen * 1_000_000);
      lines.push({ category, quantity: tokens, unitPriceUsd: perMTokDecimal(rate, lineNum, lineDen), nanos });
    };
    tokenLine('input', q.inputTokens, inputRate);
    tokenLine('cache_write_5m', q.cacheWrite5mTokens, inputRate, MODIFIERS.cacheWrite5m);
    tokenLine('cache_write_1h', q.cacheWrite1hTokens, inputRate, MODIFIERS.cacheWrite1h);
    tokenLine('cache_read', q.cacheReadTokens, inputRate, MODIFIERS.cacheRead);
    tokenLine('output', q.outputTokens, outputRate);
    if (q.webSearchRequests > 0) {
      lines.push({
        category: 'web_search',
        quantity: q.webSearchRequests,
        unitPriceUsd: toDecimalString(WEB_SEARCH_PER_REQUEST),
        nanos: q.webSearchRequests * WEB_SEARCH_PER_REQUEST,
      });
    }
    const total = lines.reduce((sum, line) => sum + line.nanos, 0);
    return { model: price.model, lines, total, totalUsd: toDecimalString(total), longContext, batch: q.batch, usInference };
  }

  function price(model: string, usage: unknown, options: PriceOptions = {}): CostBreakdown {
    const q = billableQuantities(usage);
    if (options.batch) q.batch = true;
    if (options.geo !== undefined) q.usInference = options.geo === 'us';
    return priceQuantities(model, q, options.at);
  }

  function estimate(request: EstimateRequest): Estimate {
    const price = resolve(request.model, request.at);
    if (!Number.isSafeInteger(request.maxTokens) || request.maxTokens < 0) {
      throw new DrawdownError(ErrorCodes.INVALID_USAGE, `maxTokens must be a non-negative whole number; got ${String(request.maxTokens)}`, { data: { field: 'maxTokens' } });
    }
    const factor = request.tokenizerFactor ?? price.tokenizerFactor;
    let inputTokens: number;
    let basis: string;
    if (request.inputTokens !== undefined) {
      inputTokens = request.inputTokens;
      basis = `${inputTokens} input tokens as given`;
    } else {
      const chars = request.text?.length ?? 0;
      inputTokens = Math.ceil((chars / CHARS_PER_TOKEN_ESTIMATE) * factor);
      basis = `${inputTokens} input tokens estimated from ${chars} characters at ${CHARS_PER_TOKEN_ESTIMATE} chars/token${factor === 1 ? '' : ` × tokenizer factor ${factor}`}`;
    }
    const cacheRead = Math.min(request.cacheReadTokens ?? 0, inputTokens);
    const fresh = inputTokens - cacheRead;
    const q: BillableQuantities = {
      inputTokens: request.cacheWrite ? 0 : fresh,
      outputTokens: request.maxTokens,
      cacheWrite5mTokens: request.cacheWrite === '5m' ? fresh : 0,
      cacheWrite1hTokens: request.cacheWrite === '1h' ? fresh : 0,
      cacheReadTokens: cacheRead,
      webSearchRequests: request.webSearches ?? 0,
      batch: request.batch ?? false,
      usInference: request.geo === 'us',
    };
    const breakdown = priceQuantities(request.model, q, request.at);
    return {
      model: breakdown.model,
      maxCost: breakdown.total,
      maxCostUsd: breakdown.totalUsd,
      inputTokens,
      maxTokens: request.maxTokens,
      breakdown,
      basis: `${basis}, plus max_tokens ${request.maxTokens} of output at the full output rate`,
    };
  }

  function models(at = Date.now()): ModelPrice[] {
    return [...history.keys()].sort().map((model) => resolve(model, at));
  }

  return { resolve, price, priceQuantities, estimate, models };
}

/** The built-in 2026 Anthropic rate card. */
export const defaultRateCard: RateCard = createRateCard();
