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

function count(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new DrawdownError(
      ErrorCodes.INVALID_USAGE,
      `usage.${field} must be a non-negative whole number; got ${JSON.stringify(value)}`,
      {
        data: { field },
      },
    );
  }
  return value;
}

/**
 * Validates a usage object and extracts what is billed. `cache_creation_input_tokens` is the total
 * of both cache-write durations; when the `cache_creation` breakdown is present it decides the
 * split and any unexplained remainder bills as 5-minute writes, so no token is counted twice.
 */
export function billableQuantities(usage: unknown): BillableQuantities {
  if (typeof usage !== 'object' || usage === null || Array.isArray(usage)) {
    throw new DrawdownError(
      ErrorCodes.INVALID_USAGE,
      'usage must be an object like {"input_tokens": 10, "output_tokens": 20}',
      {
        data: { field: 'usage' },
      },
    );
  }
  const u = usage as AnthropicUsage;
  const cacheWriteTotal = count(u.cache_creation_input_tokens, 'cache_creation_input_tokens');
  let cacheWrite5m = cacheWriteTotal;
  let cacheWrite1h = 0;
  if (u.cache_creation !== undefined && u.cache_creation !== null) {
    if (typeof u.cache_creation !== 'object') {
      throw new DrawdownError(ErrorCodes.INVALID_USAGE, 'usage.cache_creation must be an object', {
        data: { field: 'cache_creation' },
      });
    }
    const fiveMinute = count(u.cache_creation.ephemeral_5m_input_tokens, 'cache_creation.ephemeral_5m_input_tokens');
    cacheWrite1h = count(u.cache_creation.ephemeral_1h_input_tokens, 'cache_creation.ephemeral_1h_input_tokens');
    cacheWrite5m = fiveMinute + Math.max(0, cacheWriteTotal - fiveMinute - cacheWrite1h);
  }
  const tools = u.server_tool_use;
  if (tools !== undefined && tools !== null && typeof tools !== 'object') {
    throw new DrawdownError(ErrorCodes.INVALID_USAGE, 'usage.server_tool_use must be an object', {
      data: { field: 'server_tool_use' },
    });
  }
  const modifiers = usageModifiers(u);
  return {
    inputTokens: count(u.input_tokens, 'input_tokens'),
    outputTokens: count(u.output_tokens, 'output_tokens'),
    cacheWrite5mTokens: cacheWrite5m,
    cacheWrite1hTokens: cacheWrite1h,
    cacheReadTokens: count(u.cache_read_input_tokens, 'cache_read_input_tokens'),
    webSearchRequests: count(tools?.web_search_requests, 'server_tool_use.web_search_requests'),
    batch: modifiers.batch ?? false,
    usInference: modifiers.geo === 'us',
    ...(modifiers.speed === 'fast' && { fast: true }),
  };
}
