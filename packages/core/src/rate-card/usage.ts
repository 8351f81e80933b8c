import { DrawdownError, ErrorCodes } from '../errors.js';

/** The `usage` object as the Messages API returns it (every field optional, counts may be null). */
export interface AnthropicUsage {
  /** Uncached input tokens. Already excludes cache reads and writes: never subtract them again. */
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  server_tool_use?: { web_search_requests?: number | null; web_fetch_requests?: number | null } | null;
  service_tier?: 'standard' | 'priority' | 'batch' | string | null;
  inference_geo?: string | null;
  speed?: string | null;
  /** Informational (thinking tokens are part of `output_tokens`); not billed on its own. */
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/** Usage reduced to the quantities that are billed, all non-negative integers. */
export interface BillableQuantities {
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  webSearchRequests: number;
  batch: boolean;
  usInference: boolean;
  /** Fast mode (`usage.speed: "fast"`); omitted means standard speed. */
  fast?: boolean;
}

/** Values the API uses for the self-describing usage fields; anything else is refused. */
export const SERVICE_TIERS = ['standard', 'priority', 'batch'] as const;
export const SPEEDS = ['standard', 'fast'] as const;
export const INFERENCE_GEOS = ['global', 'us'] as const;
export type Speed = (typeof SPEEDS)[number];
export type InferenceGeo = (typeof INFERENCE_GEOS)[number];

/** What a usage object says about its own modifiers; undefined where it says nothing. */
export interface UsageModifiers {
  batch?: boolean;
  speed?: Speed;
  geo?: InferenceGeo;
}

/** Refuses a value outside `accepted`, naming the field and listing what is accepted. */
export function oneOf<T extends string>(value: unknown, accepted: readonly T[], field: string): T {
  if (typeof value === 'string' && (accepted as readonly string[]).includes(value)) return value as T;
  throw new DrawdownError(
    ErrorCodes.INVALID_USAGE,
    `${field} is ${JSON.stringify(value)}; accepted values are ${accepted.map((a) => `"${a}"`).join(', ')}`,
    { data: { field, value: value === undefined ? null : String(value), accepted: [...accepted] } },
  );
}

/**
 * Reads `service_tier`, `speed` and `inference_geo` from a usage object, refusing unknown values.
 * An empty string counts as not reported: Claude Code 2.1 logs `inference_geo: ""` for requests that
 * named no region, and such a usage must still price at the option's (or standard) modifiers.
 */
export function usageModifiers(usage: AnthropicUsage): UsageModifiers {
  const present = (value: unknown): boolean => value !== undefined && value !== null && value !== '';
  return {
    ...(present(usage.service_tier) && {
      batch: oneOf(usage.service_tier, SERVICE_TIERS, 'usage.service_tier') === 'batch',
    }),
    ...(present(usage.speed) && { speed: oneOf(usage.speed, SPEEDS, 'usage.speed') }),
    ...(present(usage.inference_geo) && { geo: oneOf(usage.inference_geo, INFERENCE_GEOS, 'usage.inference_geo') }),
  };
}

/** Every field of a usage object, as the Messages API (SDK 1.x `Usage`, `MessageDeltaUsage`) names them. */
export const USAGE_FIELDS = [
  'input_tokens',
  'output_tokens',
  'cache_creation_input_tokens',
  'cache_read_input_tokens',
  'cache_creation',
  'server_tool_use',
  'service_tier',
  'inference_geo',
  'speed',
  'output_tokens_details',
] as const;
const CACHE_CREATION_FIELDS = ['ephemeral_5m_input_tokens', 'ephemeral_1h_input_tokens'] as const;
const SERVER_TOOL_FIELDS = ['web_search_requests', 'web_fetch_requests'] as const;

function invalid(field: string, message: string, accepted?: readonly string[]): DrawdownError {
  return new DrawdownError(ErrorCodes.INVALID_USAGE, message, {
    data: { field, ...(accepted && { accepted: [...accepted] }) },
  });
}

/** Refuses a field the API does not send, naming the accepted ones: a misspelled count must not price as zero. */
function onlyKnownFields(value: object, accepted: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!(accepted as readonly string[]).includes(key)) {
      const field = where === '' ? key : `${where}.${key}`;
      throw invalid(
        field,
        `usage.${field} is not a usage field; accepted fields${where === '' ? '' : ` of usage.${where}`} are ${accepted.join(', ')}`,
        accepted,
      );
    }
  }
}

function count(value: unknown, field: string, required = false): number {
  if ((value === undefined || value === null) && !required) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(
      field,
      value === undefined || value === null
        ? `usage.${field} is missing; a usage carries whole-number input_tokens and output_tokens, e.g. {"input_tokens": 10, "output_tokens": 20}`
        : `usage.${field} must be a non-negative whole number; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function nested(value: unknown, field: string, accepted: readonly string[]): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalid(field, `usage.${field} must be an object with ${accepted.join(', ')}`, accepted);
  onlyKnownFields(value, accepted, field);
  return value as Record<string, unknown>;
}

/**
 * Validates a usage object and extracts what is billed: the one rule set of the library (`price`,
 * lease settles), `drawdown estimate` and the MCP tools. A usage carries whole-number `input_tokens`
 * and `output_tokens`; a field the API does not send is refused with the accepted names.
 * `cache_creation_input_tokens` is the total of both cache-write durations; a `cache_creation`
 * breakdown decides the split and must add up to that total (a total alone bills as 5-minute writes).
 */
export function billableQuantities(usage: unknown): BillableQuantities {
  if (typeof usage !== 'object' || usage === null || Array.isArray(usage)) {
    throw invalid('usage', 'usage must be an object like {"input_tokens": 10, "output_tokens": 20}');
  }
  onlyKnownFields(usage, USAGE_FIELDS, '');
  const u = usage as AnthropicUsage;
  const inputTokens = count(u.input_tokens, 'input_tokens', true);
  const outputTokens = count(u.output_tokens, 'output_tokens', true);
  const cacheWriteTotal = count(u.cache_creation_input_tokens, 'cache_creation_input_tokens');
  let cacheWrite5m = cacheWriteTotal;
  let cacheWrite1h = 0;
  const split = nested(u.cache_creation, 'cache_creation', CACHE_CREATION_FIELDS);
  if (split) {
    cacheWrite5m = count(split.ephemeral_5m_input_tokens, 'cache_creation.ephemeral_5m_input_tokens');
    cacheWrite1h = count(split.ephemeral_1h_input_tokens, 'cache_creation.ephemeral_1h_input_tokens');
    const sum = cacheWrite5m + cacheWrite1h;
    // Absent, the total is the breakdown's sum; given, the two must agree or one of them is wrong.
    if (
      u.cache_creation_input_tokens !== undefined &&
      u.cache_creation_input_tokens !== null &&
      sum !== cacheWriteTotal
    )
      throw invalid(
        'cache_creation',
        `usage.cache_creation adds up to ${sum} tokens (5m ${cacheWrite5m} + 1h ${cacheWrite1h}) but cache_creation_input_tokens is ${cacheWriteTotal}; they must agree`,
      );
  }
  const tools = nested(u.server_tool_use, 'server_tool_use', SERVER_TOOL_FIELDS);
  if (tools) count(tools.web_fetch_requests, 'server_tool_use.web_fetch_requests');
  if (
    u.output_tokens_details !== undefined &&
    u.output_tokens_details !== null &&
    (typeof u.output_tokens_details !== 'object' || Array.isArray(u.output_tokens_details))
  )
    throw invalid('output_tokens_details', 'usage.output_tokens_details must be an object');
  const modifiers = usageModifiers(u);
  return {
    inputTokens,
    outputTokens,
    cacheWrite5mTokens: cacheWrite5m,
    cacheWrite1hTokens: cacheWrite1h,
    cacheReadTokens: count(u.cache_read_input_tokens, 'cache_read_input_tokens'),
    webSearchRequests: count(tools?.web_search_requests, 'server_tool_use.web_search_requests'),
    batch: modifiers.batch ?? false,
    usInference: modifiers.geo === 'us',
    ...(modifiers.speed === 'fast' && { fast: true }),
  };
}
