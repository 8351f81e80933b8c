import { DrawdownError, ErrorCodes, invalidOption, throwFirstProblem } from '../errors.js';
import { assertNanos, toDecimalString, type Nanos } from '../money.js';
import { DECIMAL_USD, decimalToFraction, decimalToNanos, exactUsd, roundHalfEven } from './exact.js';
import { checkPricingTime } from './dates.js';
import { closestNames, isBedrockName, normalizeModelName } from './model-names.js';
import builtInTable from './prices.json' with { type: 'json' };
import {
  assertNoProblems,
  checkPriceRows,
  type Evidence,
  type ModelPriceInput,
  type PriceRow,
  type PriceRowProblem,
  type RateCategory,
} from './schema.js';
import {
  billableQuantities,
  INFERENCE_GEOS,
  oneOf,
  SPEEDS,
  usageModifiers,
  type AnthropicUsage,
  type BillableQuantities,
  type InferenceGeo,
  type Speed,
} from './usage.js';
import { isRecord } from '../is-record.js';

/** A row of the card as priced: the compiled, validated `PriceRow`. */
export type ModelPrice = PriceRow;

export type CostCategory = 'input' | 'output' | 'cache_write_5m' | 'cache_write_1h' | 'cache_read' | 'web_search';

export interface CostLine {
  category: CostCategory;
  /** Tokens, or requests for web search. */
  quantity: number;
  /** Price per million tokens (per request for web search) after every modifier, exact decimal USD. */
  unitPriceUsd: string;
  /** The line's exact cost, decimal USD (may be finer than a nanodollar). */
  exactUsd: string;
  /** The line rounded to the nanodollar for display; the total is rounded once from the exact sum, not from these. */
  nanos: Nanos;
}

/** How a charge was priced, recorded on the ledger entry. */
export type PricedBy = 'rate-card' | 'price-as' | 'reported-cost';

export interface CostBreakdown {
  /** Canonical model id the price came from (or the normalized reported name when priced by reported cost). */
  model: string;
  lines: CostLine[];
  /** Exact sum of the lines rounded once to the nanodollar, half to even. */
  total: Nanos;
  /** Exact decimal USD of `total`, e.g. "0.0735". */
  totalUsd: string;
  /** The unrounded sum, decimal USD. */
  exactTotalUsd: string;
  /** Prompt tokens (input + cache writes + cache reads) that chose the band. */
  promptTokens: number;
  /** The prompt-length band that priced the request, if any (Haiku 5.5 above 100,000; legacy Sonnet long context). */
  band?: { abovePromptTokens: number };
  /** True when a band priced the request (kept for readers of the earlier shape). */
  longContext: boolean;
  batch: boolean;
  fast: boolean;
  /** True when the 1.1× US-inference multiplier applied. */
  usInference: boolean;
  /** Id of the price row that priced the request, e.g. "claude-sonnet-5-5@2026-10-07". */
  priceRow?: string;
  /** `YYYY-MM-DD` the row took effect (absent for rows valid at every date). */
  effectiveFrom?: string;
  evidence?: Evidence;
  pricedBy: PricedBy;
}

export interface PriceOptions {
  /** Batch API rates, used when the usage has no `service_tier`. */
  batch?: boolean;
  /** `"global"` or `"us"`, used when the usage has no `inference_geo`. */
  geo?: string;
  /** `"standard"` or `"fast"`, used when the usage has no `speed`. */
  speed?: string;
  /** When the request happened (epoch ms); picks the price in force. Defaults to now. */
  at?: number;
  /**
   * What the agent itself reported this request cost (e.g. the Agent SDK's `total_cost_usd`
   * delta). Charged only when the model is unknown and the card's policy is `charge-reported`.
   */
  reportedCost?: Nanos;
}

export interface EstimateRequest extends Omit<PriceOptions, 'reportedCost'> {
  model: string;
  /** Input tokens if known (e.g. from count_tokens). */
  inputTokens?: number;
  /** Or the text to be sent; tokens are estimated conservatively from it. */
  text?: string;
  /** Output ceiling of the request. */
  maxTokens: number;
  /** Input tokens expected to be read from cache. */
  cacheReadTokens?: number;
  /** Write the input to cache with this lifetime. */
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

/**
 * What to do with a model the card has no row for: refuse with DRAWDOWN_UNKNOWN_MODEL (default;
 * `'error'` is the same), charge the cost the agent reported when one is given, or price it as a
 * named model.
 */
export type UnknownModelPolicy = 'refuse' | 'error' | 'charge-reported' | { priceAs: string };

export interface RateCardOptions {
  /** Extra or replacement rows; a later `effectiveFrom` supersedes the built-in row from that day, the same one replaces it. */
  overrides?: ModelPriceInput[];
  /** Leave out the built-in prices (use only `overrides`). */
  builtIn?: boolean;
  unknownModel?: UnknownModelPolicy;
}

/** Card-wide modifiers, read from the price table. */
export interface CardModifiers {
  /** Batch API multiplier on every token category, as an exact fraction. */
  batch: readonly [number, number];
  /** `inference_geo: "us"` multiplier on rows with `usInference`. */
  usInference: readonly [number, number];
  /** Flat fee per web search request, not multiplied. */
  webSearchPerRequest: Nanos;
}

/** Characters per token assumed when estimating from text: below the usual 3.5–4, so holds lean high. */
export const CHARS_PER_TOKEN_ESTIMATE = 3;

export interface RateCard {
  /** The row in force for a model at a time; throws DRAWDOWN_UNKNOWN_MODEL with suggestions. */
  resolve(model: string, at?: number): ModelPrice;
  /** Exact cost of a reported `usage`; the usage's own `service_tier`, `speed` and `inference_geo` win over options. */
  price(model: string, usage: unknown, options?: PriceOptions): CostBreakdown;
  /** Exact cost of already-extracted quantities (`at` or options as for `price`). */
  priceQuantities(model: string, quantities: BillableQuantities, options?: number | PriceOptions): CostBreakdown;
  /** Upper bound of a planned request's cost, for reservations. */
  estimate(request: EstimateRequest): Estimate;
  /** The row in force for every model at `at` (default now), by canonical id. */
  models(at?: number): ModelPrice[];
  /** Every row of the card, all dates, built-in and overrides, oldest first per model. */
  rows(): ModelPrice[];
  readonly modifiers: CardModifiers;
  readonly unknownModel: 'refuse' | 'charge-reported' | { priceAs: string };
  /** `YYYY-MM-DD`: the last day the card knows prices for (the built-in table's `asOf`, or its newest row). */
  readonly knownThrough: string;
  /** A sentence when `at` is after `knownThrough` (prices may have changed since); undefined otherwise. */
  dateWarning(at: number): string | undefined;
}

function loadModifiers(table: unknown): CardModifiers {
  const m = isRecord(table) && isRecord(table.modifiers) ? table.modifiers : {};
  const text = (group: string, key: string): string => {
    const value = isRecord(m[group]) ? (m[group] as Record<string, unknown>)[key] : undefined;
    if (typeof value !== 'string' || !DECIMAL_USD.test(value))
      throw invalidOption(
        'rateCard',
        `prices.json modifiers.${group}.${key}`,
        `is ${JSON.stringify(value)}`,
        'Write a decimal string.',
      );
    return value;
  };
  const fraction = (group: string): readonly [number, number] => {
    const [num, den] = decimalToFraction(text(group, 'multiplier'));
    return [Number(num), Number(den)];
  };
  return {
    batch: fraction('batch'),
    usInference: fraction('usInference'),
    webSearchPerRequest: Number(decimalToNanos(text('webSearch', 'perRequestUsd'))),
  };
}

const BUILT_IN_MODIFIERS = loadModifiers(builtInTable);
/** The day the built-in prices were last checked against Anthropic's pages. */
const BUILT_IN_AS_OF = (builtInTable as { asOf?: string }).asOf;
const BUILT_IN = (() => {
  const { rows, problems } = checkPriceRows((builtInTable as { rows?: unknown }).rows, 'prices.json rows', 'built-in');
  assertNoProblems(problems);
  return rows;
})();

/** The built-in rows (validated on load), for listing and tests. */
export const BUILT_IN_PRICE_ROWS: readonly ModelPrice[] = BUILT_IN;

/** The newest built-in row of a model: what an override inherits optional fields from. */
function latestBuiltIn(model: string): PriceRow | undefined {
  let latest: PriceRow | undefined;
  for (const row of BUILT_IN)
    if (row.model === model && (!latest || row.effectiveFrom >= latest.effectiveFrom)) latest = row;
  return latest;
}

/**
 * Checks `rateCard` options as a config file gives them, returning every problem (empty when
 * valid): for `config check`, which reports all problems in one pass.
 */
export function checkRateCardConfig(value: unknown, where = 'rateCard'): PriceRowProblem[] {
  if (value === undefined) return [];
  if (!isRecord(value))
    return [
      { field: where, problem: 'must be an object', fix: 'Write { "overrides": [ … ], "unknownModel": "refuse" }.' },
    ];
  const problems: PriceRowProblem[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'overrides' && key !== 'unknownModel')
      problems.push({
        field: `${where}.${key}`,
        problem: 'is not a rateCard option',
        fix: 'Use "overrides" or "unknownModel".',
      });
  }
  if (value.overrides !== undefined)
    problems.push(...checkPriceRows(value.overrides, `${where}.overrides`, 'override', latestBuiltIn).problems);
  if (value.unknownModel !== undefined)
    problems.push(...unknownModelProblems(value.unknownModel, `${where}.unknownModel`));
  return problems;
}

/**
 * The unknown-model policy's problems. `priced` says whether the card prices a model name; without
 * it (a configuration checked before its card exists) only the policy's shape is checked.
 */
function unknownModelProblems(policy: unknown, field: string, priced?: (model: string) => boolean): PriceRowProblem[] {
  if (policy === 'refuse' || policy === 'error' || policy === 'charge-reported') return [];
  if (!isRecord(policy) || typeof policy.priceAs !== 'string')
    return [
      {
        field,
        problem: `is ${JSON.stringify(policy)}`,
        fix: 'Use "refuse" (default), "charge-reported" or { "priceAs": "claude-…" }.',
      },
    ];
  if (priced && !priced(policy.priceAs))
    return [
      {
        field: `${field}.priceAs`,
        problem: `names "${policy.priceAs}", which the card does not price`,
        fix: 'Name a priced model such as "claude-opus-5-5".',
      },
    ];
  return [];
}

function unknownModelError(model: string, known: Iterable<string>, extra = ''): DrawdownError {
  const suggestions = closestNames(model, known);
  return new DrawdownError(
    ErrorCodes.UNKNOWN_MODEL,
    `No price for model "${model}". Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}? Add it with rateCard overrides if it is new.${extra}`,
    { data: { model, suggestions } },
  );
}

const CATEGORY_RATES: ReadonlyArray<[CostCategory, RateCategory, keyof BillableQuantities]> = [
  ['input', 'input', 'inputTokens'],
  ['cache_write_5m', 'cacheWrite5m', 'cacheWrite5mTokens'],
  ['cache_write_1h', 'cacheWrite1h', 'cacheWrite1hTokens'],
  ['cache_read', 'cacheRead', 'cacheReadTokens'],
  ['output', 'output', 'outputTokens'],
];
const MTOK = 1_000_000n;
const DAY_MS = 86_400_000;

/** Creates a rate card: the built-in prices (`prices.json`) plus any overrides. */
export function createRateCard(options: RateCardOptions = {}): RateCard {
  const builtIn = options.builtIn === false ? [] : BUILT_IN;
  const checked = checkPriceRows(options.overrides ?? [], 'overrides', 'override', latestBuiltIn);
  assertNoProblems(checked.problems);
  const modifiers = BUILT_IN_MODIFIERS;
  // Each canonical name's rows, newest first; an override on the same day replaces the built-in row.
  const history = new Map<string, PriceRow[]>();
  const nameToModel = new Map<string, string>();
  for (const row of [...builtIn, ...checked.rows]) {
    const list = (history.get(row.model) ?? []).filter((r) => r.effectiveFrom !== row.effectiveFrom);
    list.push(row);
    list.sort((a, b) => b.effectiveFrom - a.effectiveFrom);
    history.set(row.model, list);
    nameToModel.set(row.model, row.model);
    for (const alias of row.aliases) nameToModel.set(alias, row.model);
  }
  const rawPolicy = options.unknownModel ?? 'refuse';
  throwFirstProblem(
    'rateCard',
    unknownModelProblems(rawPolicy, 'unknownModel', (model) => nameToModel.has(normalizeModelName(model))),
  );
  const policy: RateCard['unknownModel'] = rawPolicy === 'error' ? 'refuse' : rawPolicy;
  const fastModels = (): string[] =>
    [...history.entries()]
      .filter(([, rows]) => rows.some((r) => r.fast))
      .map(([m]) => m)
      .sort();

  function lookup(model: string): string | undefined {
    return nameToModel.get(model.trim().toLowerCase()) ?? nameToModel.get(normalizeModelName(model));
  }

  function rowAt(canonical: string, model: string, at: number): PriceRow {
    const rows = history.get(canonical)!;
    const row = rows.find((r) => r.effectiveFrom <= at);
    if (row) return row;
    const first = rows[rows.length - 1]!;
    throw new DrawdownError(
      ErrorCodes.UNKNOWN_MODEL,
      `No price for model "${model}" on ${new Date(at).toISOString().slice(0, 10)}: the card prices it from ${first.effectiveFromDate} (its launch). Check the request's date, or add a rateCard override row with an earlier effectiveFrom.`,
      { data: { model, suggestions: [], pricedFrom: first.effectiveFromDate } },
    );
  }

  function resolve(model: string, at = Date.now()): ModelPrice {
    checkPricingTime(at);
    const canonical = lookup(model) ?? (typeof policy === 'object' ? lookup(policy.priceAs) : undefined);
    if (canonical === undefined) throw unknownModelError(model, nameToModel.keys());
    return rowAt(canonical, model, at);
  }

  function compute(
    row: PriceRow,
    q: BillableQuantities,
    geo: InferenceGeo | undefined,
    pricedBy: PricedBy,
  ): CostBreakdown {
    const fast = q.fast === true;
    if (fast && q.batch) {
      throw new DrawdownError(
        ErrorCodes.INVALID_USAGE,
        'fast mode cannot be combined with the Batch API: a usage is either speed "fast" or service_tier "batch", not both',
        {
          data: { field: 'speed', value: 'fast', accepted: ['standard'] },
        },
      );
    }
    if (fast && !row.fast) {
      throw new DrawdownError(
        ErrorCodes.INVALID_USAGE,
        `${row.model} has no fast mode; fast mode is priced for ${fastModels().join(', ')}`,
        {
          data: { field: 'speed', value: 'fast', model: row.model, accepted: ['standard'] },
        },
      );
    }
    const promptTokens = q.inputTokens + q.cacheWrite5mTokens + q.cacheWrite1hTokens + q.cacheReadTokens;
    let band: PriceRow['bands'][number] | undefined;
    if (!fast) for (const b of row.bands) if (promptTokens > b.abovePromptTokens) band = b;
    const rates = fast ? row.fast!.rates : (band?.rates ?? row.rates);
    const usInference = (geo ?? (q.usInference ? 'us' : 'global')) === 'us' && row.usInference;
    // Every token line shares one multiplier; the exact sum is rounded once, half to even.
    let num = 1n;
    let den = MTOK;
    if (q.batch) [num, den] = [num * BigInt(modifiers.batch[0]), den * BigInt(modifiers.batch[1])];
    if (usInference) [num, den] = [num * BigInt(modifiers.usInference[0]), den * BigInt(modifiers.usInference[1])];
    const unitDen = den / MTOK;
    const lines: CostLine[] = [];
    let sum = 0n;
    for (const [category, rateKey, quantityKey] of CATEGORY_RATES) {
      const quantity = q[quantityKey] as number;
      if (quantity === 0) continue;
      const rate = BigInt(rates[rateKey]) * num;
      const exact = BigInt(quantity) * rate;
      sum += exact;
      lines.push({
        category,
        quantity,
        unitPriceUsd: exactUsd(rate, unitDen),
        exactUsd: exactUsd(exact, den),
        nanos: Number(roundHalfEven(exact, den)),
      });
    }
    let total = roundHalfEven(sum, den);
    let exactTotal = sum;
    if (q.webSearchRequests > 0) {
      const fee = BigInt(q.webSearchRequests) * BigInt(modifiers.webSearchPerRequest);
      total += fee;
      exactTotal += fee * den;
      lines.push({
        category: 'web_search',
        quantity: q.webSearchRequests,
        unitPriceUsd: toDecimalString(modifiers.webSearchPerRequest),
        exactUsd: exactUsd(fee, 1n),
        nanos: Number(fee),
      });
    }
    const totalNanos = assertNanos(Number(total), 'request cost');
    return {
      model: row.model,
      lines,
      total: totalNanos,
      totalUsd: toDecimalString(totalNanos),
      exactTotalUsd: exactUsd(exactTotal, den),
      promptTokens,
      ...(band && { band: { abovePromptTokens: band.abovePromptTokens } }),
      longContext: band !== undefined,
      batch: q.batch,
      fast,
      usInference,
      priceRow: row.id,
      ...(row.effectiveFromDate !== undefined && { effectiveFrom: row.effectiveFromDate }),
      evidence: row.evidence,
      pricedBy,
    };
  }

  function priceQuantities(model: string, q: BillableQuantities, atOrOptions?: number | PriceOptions): CostBreakdown {
    const opts: PriceOptions = typeof atOrOptions === 'number' ? { at: atOrOptions } : (atOrOptions ?? {});
    const at = opts.at === undefined ? Date.now() : checkPricingTime(opts.at);
    if (q.fast === true && isBedrockName(model))
      throw new DrawdownError(
        ErrorCodes.INVALID_USAGE,
        `"${model}" is a Bedrock model name, and fast mode exists only on the Claude API; price it at speed "standard", or use the Claude API name "${normalizeModelName(model)}"`,
        { data: { field: 'speed', value: 'fast', model, accepted: ['standard'] } },
      );
    const canonical = lookup(model);
    if (canonical !== undefined) return compute(rowAt(canonical, model, at), q, undefined, 'rate-card');
    if (typeof policy === 'object')
      return compute(rowAt(lookup(policy.priceAs)!, policy.priceAs, at), q, undefined, 'price-as');
    if (policy === 'charge-reported') {
      if (opts.reportedCost === undefined) {
        throw unknownModelError(
          model,
          nameToModel.keys(),
          ' The card charges reported costs for unknown models, but none came with this request.',
        );
      }
      const total = assertNanos(opts.reportedCost, 'reportedCost');
      if (total < 0)
        throw new DrawdownError(ErrorCodes.INVALID_AMOUNT, 'reportedCost cannot be negative', {
          data: { reportedCost: total },
        });
      return {
        model: normalizeModelName(model),
        lines: [],
        total,
        totalUsd: toDecimalString(total),
        exactTotalUsd: toDecimalString(total),
        promptTokens: q.inputTokens + q.cacheWrite5mTokens + q.cacheWrite1hTokens + q.cacheReadTokens,
        longContext: false,
        batch: q.batch,
        fast: q.fast === true,
        usInference: false,
        pricedBy: 'reported-cost',
      };
    }
    throw unknownModelError(model, nameToModel.keys());
  }

  /** Fills what the usage does not say from options, validating option values the same way. */
  function withOptions(
    q: BillableQuantities,
    own: ReturnType<typeof usageModifiers>,
    opts: PriceOptions,
  ): BillableQuantities {
    const speed: Speed | undefined =
      own.speed ?? (opts.speed === undefined ? undefined : oneOf(opts.speed, SPEEDS, 'speed'));
    const geo: InferenceGeo | undefined =
      own.geo ?? (opts.geo === undefined ? undefined : oneOf(opts.geo, INFERENCE_GEOS, 'geo'));
    if (opts.batch !== undefined && typeof opts.batch !== 'boolean') oneOf(opts.batch, ['true', 'false'], 'batch');
    return { ...q, batch: own.batch ?? opts.batch ?? false, usInference: geo === 'us', fast: speed === 'fast' };
  }

  function price(model: string, usage: unknown, opts: PriceOptions = {}): CostBreakdown {
    const q = billableQuantities(usage);
    return priceQuantities(model, withOptions(q, usageModifiers(usage as AnthropicUsage), opts), opts);
  }

  function estimate(request: EstimateRequest): Estimate {
    const row = resolve(request.model, request.at);
    if (!Number.isSafeInteger(request.maxTokens) || request.maxTokens < 0) {
      throw new DrawdownError(
        ErrorCodes.INVALID_USAGE,
        `maxTokens must be a non-negative whole number; got ${String(request.maxTokens)}`,
        { data: { field: 'maxTokens' } },
      );
    }
    const factor = request.tokenizerFactor ?? row.tokenizerFactor;
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
    const base: BillableQuantities = {
      inputTokens: request.cacheWrite ? 0 : fresh,
      outputTokens: request.maxTokens,
      cacheWrite5mTokens: request.cacheWrite === '5m' ? fresh : 0,
      cacheWrite1hTokens: request.cacheWrite === '1h' ? fresh : 0,
      cacheReadTokens: cacheRead,
      webSearchRequests: request.webSearches ?? 0,
      batch: false,
      usInference: false,
    };
    const q = withOptions(base, {}, request);
    const breakdown = priceQuantities(request.model, q, request.at === undefined ? {} : { at: request.at });
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
    checkPricingTime(at);
    return [...history.keys()]
      .sort()
      .map((model) => history.get(model)!.find((r) => r.effectiveFrom <= at))
      .filter((row): row is PriceRow => row !== undefined);
  }

  function rows(): ModelPrice[] {
    return [...history.keys()].sort().flatMap((model) => [...history.get(model)!].reverse());
  }

  // The last day the card knows: the built-in table's `asOf`, or a later row (an override's).
  const asOf = BUILT_IN_AS_OF !== undefined && builtIn.length > 0 ? Date.parse(`${BUILT_IN_AS_OF}T00:00:00Z`) : 0;
  const lastKnown = Math.max(asOf, ...[...history.values()].flat().map((row) => row.effectiveFrom));
  const knownThrough = lastKnown === 0 ? '' : new Date(lastKnown).toISOString().slice(0, 10);
  const knownUntil = lastKnown === 0 ? Number.POSITIVE_INFINITY : lastKnown + DAY_MS;

  function dateWarning(at: number): string | undefined {
    if (checkPricingTime(at) < knownUntil) return undefined;
    return `${new Date(at).toISOString().slice(0, 10)} is after ${knownThrough}, the last day this rate card knows prices for; priced at the rows in force then, which may have changed since (add a rateCard override row if they have)`;
  }

  return {
    resolve,
    price,
    priceQuantities,
    estimate,
    models,
    rows,
    modifiers,
    unknownModel: policy,
    knownThrough,
    dateWarning,
  };
}

/** The built-in Anthropic rate card. */
export const defaultRateCard: RateCard = createRateCard();
