import { DrawdownError, ErrorCodes, type OptionProblem } from '../errors.js';
import type { Nanos } from '../money.js';
import { DECIMAL_USD, decimalToNanos } from './exact.js';
import { normalizeModelName } from './model-names.js';
import { isRecord } from '../is-record.js';

/**
 * The shape of a price row, in the built-in `prices.json` and in `rateCard.overrides`, and the hand
 * validator both go through on load. Every category is given explicitly: a published price is never
 * derived from another one.
 */

/** How sure a row is: A read on an Anthropic page, Q Anthropic text quoted by 2+ copies, U unconfirmed, config given by the user. */
export type Evidence = 'A' | 'Q' | 'U' | 'config';
const EVIDENCE: readonly Evidence[] = ['A', 'Q', 'U', 'config'];

/** The five token categories, USD per million tokens as decimal strings ("3", "0.125"). */
export interface PriceRatesInput {
  inputPerMTok: string | number;
  cacheWrite5mPerMTok: string | number;
  cacheWrite1hPerMTok: string | number;
  /** Cache hits and cache refreshes. */
  cacheReadPerMTok: string | number;
  outputPerMTok: string | number;
}

interface Provenance {
  /** URL the price was read from. */
  source?: string;
  evidence?: Evidence;
  note?: string;
}

/** A prompt-length band: when input + cache writes + cache reads exceed `abovePromptTokens`, every token of the request (output too) is priced here. */
export interface PriceBandInput extends PriceRatesInput, Provenance {
  abovePromptTokens: number;
}

export interface ModelPriceInput extends PriceRatesInput, Provenance {
  /** Row id recorded on each ledger entry it prices; defaults to `model@effectiveFrom`. */
  id?: string;
  /** Canonical model id, as the Claude API names it: `claude-opus-5-5`. */
  model: string;
  /** Other names for the model (dated snapshots, `-latest`). Provider spellings are normalized without listing them. */
  aliases?: string[];
  /** First UTC day (`YYYY-MM-DD`) the row applies; before it, the previous row of the model (or none). Omitted: every date. */
  effectiveFrom?: string;
  /** Prompt-length bands, any order. Omitted on an override: the model's earlier row's bands; `[]` removes them. */
  bands?: PriceBandInput[];
  /** Fast-mode rates (`usage.speed: "fast"`). Omitted on an override: inherited; `null`: the model has no fast mode. */
  fast?: (PriceRatesInput & Provenance) | null;
  /** Whether `inference_geo: "us"` costs 1.1× (Claude 4.6 and later). Omitted on an override: inherited, else false. */
  usInference?: boolean;
  /** How many more tokens this model's tokenizer may use for the same text (estimates only). Inherited when omitted. */
  tokenizerFactor?: number;
}

export type RateCategory = 'input' | 'cacheWrite5m' | 'cacheWrite1h' | 'cacheRead' | 'output';
/** Nanodollars per million tokens for each category. */
export type PriceRates = Record<RateCategory, Nanos>;

export interface PriceBand {
  abovePromptTokens: number;
  rates: PriceRates;
  source?: string;
  evidence: Evidence;
  note?: string;
}

/** A compiled, validated row. */
export interface PriceRow {
  id: string;
  model: string;
  aliases: string[];
  /** Epoch ms of `effectiveFrom` (0 when the row applies at every date). */
  effectiveFrom: number;
  /** `YYYY-MM-DD`, or undefined when the row applies at every date. */
  effectiveFromDate?: string;
  rates: PriceRates;
  /** Ascending by threshold. */
  bands: PriceBand[];
  fast?: { rates: PriceRates; source?: string; evidence: Evidence; note?: string };
  usInference: boolean;
  tokenizerFactor: number;
  source?: string;
  evidence: Evidence;
  note?: string;
  origin: 'built-in' | 'override';
}

/** One thing wrong with a row: where, what, and how to fix it. */
export type PriceRowProblem = OptionProblem;

const RATE_FIELDS: ReadonlyArray<[RateCategory, keyof PriceRatesInput]> = [
  ['input', 'inputPerMTok'],
  ['cacheWrite5m', 'cacheWrite5mPerMTok'],
  ['cacheWrite1h', 'cacheWrite1hPerMTok'],
  ['cacheRead', 'cacheReadPerMTok'],
  ['output', 'outputPerMTok'],
];
const ROW_KEYS = new Set([
  'id',
  'model',
  'aliases',
  'effectiveFrom',
  'bands',
  'fast',
  'usInference',
  'tokenizerFactor',
  'source',
  'evidence',
  'note',
  ...RATE_FIELDS.map(([, f]) => f),
]);
const BAND_KEYS = new Set(['abovePromptTokens', 'source', 'evidence', 'note', ...RATE_FIELDS.map(([, f]) => f)]);
const FAST_KEYS = new Set(['source', 'evidence', 'note', ...RATE_FIELDS.map(([, f]) => f)]);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Parses an ISO day to epoch ms at 00:00 UTC; undefined when it is not a real date. */
export function parseDay(value: string): number | undefined {
  if (!DATE.test(value)) return undefined;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value ? undefined : time;
}

function rateText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return String(value);
  return undefined;
}

class Checker {
  readonly problems: PriceRowProblem[] = [];
  add(field: string, problem: string, fix: string): void {
    this.problems.push({ field, problem, fix });
  }

  unknownKeys(value: Record<string, unknown>, allowed: Set<string>, at: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.has(key))
        this.add(`${at}.${key}`, 'is not a price-row field', `Remove it; fields are ${[...allowed].join(', ')}.`);
    }
  }

  rates(value: Record<string, unknown>, at: string): PriceRates {
    const rates = {} as PriceRates;
    for (const [category, field] of RATE_FIELDS) {
      const raw = value[field];
      const text = rateText(raw);
      if (raw === undefined) {
        this.add(
          `${at}.${field}`,
          'is missing',
          'Give every category explicitly (input, 5m write, 1h write, cache hit, output), in USD per million tokens, e.g. "3.75".',
        );
      } else if (text === undefined || !DECIMAL_USD.test(text)) {
        this.add(
          `${at}.${field}`,
          `is ${JSON.stringify(raw)}, not a USD amount per million tokens`,
          'Write a non-negative decimal with at most 9 places, e.g. "3" or "0.125".',
        );
      }
      rates[category] = text !== undefined && DECIMAL_USD.test(text) ? Number(decimalToNanos(text)) : 0;
    }
    return rates;
  }

  provenance(
    value: Record<string, unknown>,
    at: string,
    fallback: Evidence,
  ): { source?: string; evidence: Evidence; note?: string } {
    const { source, evidence, note } = value;
    if (source !== undefined && typeof source !== 'string')
      this.add(`${at}.source`, 'must be a string (a URL)', 'Give the page the price was read from.');
    if (note !== undefined && typeof note !== 'string')
      this.add(`${at}.note`, 'must be a string', 'Write a sentence or remove it.');
    if (evidence !== undefined && !EVIDENCE.includes(evidence as Evidence)) {
      this.add(
        `${at}.evidence`,
        `is ${JSON.stringify(evidence)}`,
        `Use one of ${EVIDENCE.map((e) => `"${e}"`).join(', ')}.`,
      );
    }
    return {
      ...(typeof source === 'string' && { source }),
      evidence: EVIDENCE.includes(evidence as Evidence) ? (evidence as Evidence) : fallback,
      ...(typeof note === 'string' && { note }),
    };
  }
}

/**
 * Validates price rows and compiles them. Returns every problem found (empty when all is well), so
 * `config check` can report them in one pass; `previous` supplies the inherited fields of overrides.
 */
export function checkPriceRows(
  value: unknown,
  where: string,
  origin: PriceRow['origin'],
  previous: (model: string) => PriceRow | undefined = () => undefined,
): { rows: PriceRow[]; problems: PriceRowProblem[] } {
  const check = new Checker();
  const rows: PriceRow[] = [];
  if (!Array.isArray(value)) {
    check.add(where, 'must be a list of price rows', 'Write [ { "model": "…", "inputPerMTok": "…", … }, … ].');
    return { rows, problems: check.problems };
  }
  const fallbackEvidence: Evidence = origin === 'override' ? 'config' : 'U';
  const ids = new Set<string>();
  value.forEach((raw, index) => {
    const at = `${where}[${index}]`;
    if (!isRecord(raw)) {
      check.add(
        at,
        'must be an object',
        'Write { "model": "claude-…", "inputPerMTok": "…", "cacheWrite5mPerMTok": "…", "cacheWrite1hPerMTok": "…", "cacheReadPerMTok": "…", "outputPerMTok": "…" }.',
      );
      return;
    }
    check.unknownKeys(raw, ROW_KEYS, at);
    const model = typeof raw.model === 'string' ? normalizeModelName(raw.model) : '';
    if (model === '') check.add(`${at}.model`, 'is missing', 'Give the model id, e.g. "claude-opus-5-5".');
    let effectiveFrom = 0;
    let effectiveFromDate: string | undefined;
    if (raw.effectiveFrom !== undefined) {
      const time = typeof raw.effectiveFrom === 'string' ? parseDay(raw.effectiveFrom) : undefined;
      if (time === undefined)
        check.add(
          `${at}.effectiveFrom`,
          `is ${JSON.stringify(raw.effectiveFrom)}, not a date`,
          'Write it as YYYY-MM-DD (UTC).',
        );
      else [effectiveFrom, effectiveFromDate] = [time, raw.effectiveFrom as string];
    }
    const aliases: string[] = [];
    if (raw.aliases !== undefined) {
      if (!Array.isArray(raw.aliases) || raw.aliases.some((a) => typeof a !== 'string' || a.trim() === '')) {
        check.add(`${at}.aliases`, 'must be a list of model names', 'Write e.g. ["claude-sonnet-4-5-20250929"].');
      } else {
        // Names that normalise to the model itself or to an alias already listed ("…-20241022" and
        // "…-latest" both become the model id) add nothing: each alias is listed once.
        for (const alias of (raw.aliases as string[]).map(normalizeModelName))
          if (alias !== model && !aliases.includes(alias)) aliases.push(alias);
      }
    }
    const rates = check.rates(raw, at);
    const earlier = model ? previous(model) : undefined;
    const bands: PriceBand[] = [];
    if (raw.bands === undefined) bands.push(...(earlier?.bands ?? []));
    else if (!Array.isArray(raw.bands))
      check.add(
        `${at}.bands`,
        'must be a list',
        'Write [ { "abovePromptTokens": 100000, …five rates… } ], or [] for none.',
      );
    else {
      raw.bands.forEach((band, b) => {
        const bandAt = `${at}.bands[${b}]`;
        if (!isRecord(band)) {
          check.add(bandAt, 'must be an object', 'Write { "abovePromptTokens": 100000, …five rates… }.');
          return;
        }
        check.unknownKeys(band, BAND_KEYS, bandAt);
        const above = band.abovePromptTokens;
        if (typeof above !== 'number' || !Number.isSafeInteger(above) || above < 0) {
          check.add(
            `${bandAt}.abovePromptTokens`,
            `is ${JSON.stringify(above)}`,
            'Give a whole number of prompt tokens, e.g. 100000.',
          );
        }
        bands.push({
          abovePromptTokens: typeof above === 'number' ? above : 0,
          rates: check.rates(band, bandAt),
          ...check.provenance(band, bandAt, fallbackEvidence),
        });
      });
      bands.sort((a, b) => a.abovePromptTokens - b.abovePromptTokens);
      bands.forEach((band, b) => {
        if (b > 0 && band.abovePromptTokens === bands[b - 1]!.abovePromptTokens)
          check.add(
            `${at}.bands`,
            `has two bands above ${band.abovePromptTokens} tokens`,
            'Keep one band per threshold.',
          );
      });
    }
    let fast: PriceRow['fast'];
    if (raw.fast === undefined) fast = earlier?.fast;
    else if (raw.fast !== null) {
      if (!isRecord(raw.fast))
        check.add(
          `${at}.fast`,
          'must be an object or null',
          'Write { …five fast-mode rates… }, or null for a model without fast mode.',
        );
      else {
        check.unknownKeys(raw.fast, FAST_KEYS, `${at}.fast`);
        fast = {
          rates: check.rates(raw.fast, `${at}.fast`),
          ...check.provenance(raw.fast, `${at}.fast`, fallbackEvidence),
        };
      }
    }
    let usInference = earlier?.usInference ?? false;
    if (raw.usInference !== undefined) {
      if (typeof raw.usInference !== 'boolean')
        check.add(
          `${at}.usInference`,
          'must be true or false',
          'true when inference_geo "us" costs 1.1× on this model (Claude 4.6 and later).',
        );
      else usInference = raw.usInference;
    }
    let tokenizerFactor = earlier?.tokenizerFactor ?? 1;
    if (raw.tokenizerFactor !== undefined) {
      if (typeof raw.tokenizerFactor !== 'number' || !(raw.tokenizerFactor >= 1 && raw.tokenizerFactor <= 3)) {
        check.add(
          `${at}.tokenizerFactor`,
          `is ${JSON.stringify(raw.tokenizerFactor)}`,
          'Use a number between 1 and 3.',
        );
      } else tokenizerFactor = raw.tokenizerFactor;
    }
    const id = raw.id === undefined ? `${model}@${effectiveFromDate ?? 'always'}` : raw.id;
    if (typeof id !== 'string' || id.trim() === '')
      check.add(`${at}.id`, 'must be a non-empty string', 'Remove it to use "model@effectiveFrom".');
    else if (ids.has(id))
      check.add(`${at}.id`, `repeats "${id}"`, 'Give each row its own id (or one effectiveFrom per model).');
    else ids.add(id);
    rows.push({
      id: String(id),
      model,
      aliases,
      effectiveFrom,
      ...(effectiveFromDate !== undefined && { effectiveFromDate }),
      rates,
      bands,
      ...(fast && { fast }),
      usInference,
      tokenizerFactor,
      ...check.provenance(raw, at, fallbackEvidence),
      origin,
    });
  });
  return { rows, problems: check.problems };
}

/** Throws DRAWDOWN_INVALID_OPTION naming every problem; used when a card is created. */
export function assertNoProblems(problems: PriceRowProblem[]): void {
  if (problems.length === 0) return;
  const first = problems[0]!;
  const message = problems.map((p) => `"${p.field}" ${p.problem}. ${p.fix}`).join('\n');
  throw new DrawdownError(
    ErrorCodes.INVALID_OPTION,
    `rateCard: ${problems.length === 1 ? 'option ' : `${problems.length} problems: option `}${message}`,
    {
      data: { owner: 'rateCard', field: first.field, problems },
    },
  );
}
