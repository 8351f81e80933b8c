/** The `usage` object the server reports, as the Messages API spells it. */
export interface ScriptedUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number };
  server_tool_use?: { web_search_requests?: number; web_fetch_requests?: number };
  service_tier?: 'standard' | 'priority' | 'batch';
  inference_geo?: string;
}

/** Where in the SSE sequence a stream script acts: after the first event of that type. */
export type StreamPoint =
  | 'message_start'
  | 'content_block_start'
  | 'content_block_delta'
  | 'content_block_stop'
  | 'message_delta';

/** How a streamed reply misbehaves, for testing aborts and failures midway. */
export interface StreamScript {
  /**
   * Stop after this event (or right after the response headers, before any event) and hold the
   * connection open until the client leaves or the server closes.
   */
  stallAfter?: StreamPoint | 'headers';
  /** Destroy the connection after this event (a network failure midway). */
  dropAfter?: StreamPoint;
  /** Send an SSE `error` event after this event, then end the response (e.g. `overloaded_error`). */
  errorAfter?: { point: StreamPoint; type: string; message: string };
  /**
   * Send `null` for the input fields of `message_delta.usage`, as some API versions do; the
   * cumulative output count is still sent. Default false: every field is sent, cumulative.
   */
  nullInputInDelta?: boolean;
}

/** A successful message. Streaming requests get it as SSE events, others as one JSON body. */
export interface MessageReply {
  kind: 'message';
  /** Text of the single text block. Default "Hello from the loopback Anthropic server." */
  text?: string;
  /** Several text blocks, one per entry (a reply with several content blocks); used instead of `text`. */
  texts?: string[];
  /** Model id in the reply. Default: the model the request asked for. */
  model?: string;
  /** Usage to report. Default: input estimated from the request at 4 characters per token, output = words of `text`. */
  usage?: ScriptedUsage;
  stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';
  /** Extra response headers (rate-limit headers, for instance). */
  headers?: Record<string, string>;
  stream?: StreamScript;
}

/** An error reply with the API's body shape: `{"type":"error","error":{"type","message"},"request_id"}`. */
export interface ErrorReply {
  kind: 'error';
  status: number;
  type: string;
  message: string;
  /** `error.details` (e.g. `{ error_code: 'enforced_spend_limit_reached' }`). */
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

export type ScriptedReply = MessageReply | ErrorReply;

/** The exact message the API sends (HTTP 400) when the prepaid credit balance is too low. */
export const CREDIT_BALANCE_TOO_LOW_MESSAGE =
  'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.';

/** Builders for common replies; each returns plain data you can tweak before enqueueing. */
export const replies = {
  message: (options: Omit<MessageReply, 'kind'> = {}): MessageReply => ({ kind: 'message', ...options }),

  error: (status: number, type: string, message: string, headers?: Record<string, string>): ErrorReply => ({
    kind: 'error',
    status,
    type,
    message,
    ...(headers && { headers }),
  }),

  /** 429 `rate_limit_error` with `retry-after` in seconds (the SDK waits that long before retrying). */
  rateLimited: (options: { retryAfterSeconds?: number; headers?: Record<string, string> } = {}): ErrorReply => ({
    kind: 'error',
    status: 429,
    type: 'rate_limit_error',
    message: 'Number of request tokens has exceeded your per-minute rate limit. Please wait before retrying.',
    headers: { 'retry-after': String(options.retryAfterSeconds ?? 1), ...options.headers },
  }),

  /**
   * 429 for a spent plan allowance: `anthropic-ratelimit-unified-status: rejected` with the reset of
   * the binding window (epoch seconds) and its claim.
   */
  planLimit: (options: { resetAt: number; claim?: string; headers?: Record<string, string> }): ErrorReply => ({
    kind: 'error',
    status: 429,
    type: 'rate_limit_error',
    message: "This request would exceed your account's rate limit. Please try again later.",
    headers: {
      ...unifiedRateLimitHeaders({
        status: 'rejected',
        resetAt: options.resetAt,
        representativeClaim: options.claim ?? 'five_hour',
        windows: { [options.claim ?? 'five_hour']: { utilization: 1, resetAt: options.resetAt } },
      }),
      ...options.headers,
    },
  }),

  /** HTTP 400 `invalid_request_error` with the exact credit-too-low message. */
  creditTooLow: (): ErrorReply => ({
    kind: 'error',
    status: 400,
    type: 'invalid_request_error',
    message: CREDIT_BALANCE_TOO_LOW_MESSAGE,
  }),

  unauthorized: (): ErrorReply => ({
    kind: 'error',
    status: 401,
    type: 'authentication_error',
    message: 'invalid x-api-key',
  }),

  paymentRequired: (details?: Record<string, unknown>): ErrorReply => ({
    kind: 'error',
    status: 402,
    type: 'billing_error',
    message: 'Your organization has reached its spend limit.',
    ...(details && { details }),
  }),

  overloaded: (headers?: Record<string, string>): ErrorReply => ({
    kind: 'error',
    status: 529,
    type: 'overloaded_error',
    message: 'Overloaded',
    ...(headers && { headers }),
  }),
};

/** Per-bucket values of the standard `anthropic-ratelimit-*` headers. `reset` is a Date or epoch ms. */
export interface StandardBucket {
  limit: number;
  remaining: number;
  reset: Date | number;
}

/** Builds `anthropic-ratelimit-{requests|tokens|input-tokens|output-tokens}-{limit|remaining|reset}` headers. */
export function standardRateLimitHeaders(buckets: {
  requests?: StandardBucket;
  tokens?: StandardBucket;
  inputTokens?: StandardBucket;
  outputTokens?: StandardBucket;
}): Record<string, string> {
  const names = {
    requests: 'requests',
    tokens: 'tokens',
    inputTokens: 'input-tokens',
    outputTokens: 'output-tokens',
  } as const;
  const headers: Record<string, string> = {};
  for (const [key, name] of Object.entries(names) as Array<[keyof typeof names, string]>) {
    const bucket = buckets[key];
    if (!bucket) continue;
    headers[`anthropic-ratelimit-${name}-limit`] = String(bucket.limit);
    headers[`anthropic-ratelimit-${name}-remaining`] = String(bucket.remaining);
    headers[`anthropic-ratelimit-${name}-reset`] = new Date(bucket.reset).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return headers;
}

/** Short header spellings of plan windows, as the subscription headers use them. */
const WINDOW_ABBREVIATIONS: Record<string, string> = {
  five_hour: '5h',
  seven_day: '7d',
  seven_day_opus: '7d_opus',
  seven_day_sonnet: '7d_sonnet',
  overage: 'overage',
};

export interface UnifiedWindowScript {
  /** 0–1. */
  utilization?: number;
  /** Epoch seconds. */
  resetAt?: number;
  /** The warning threshold already passed, 0–1. */
  surpassedThreshold?: number;
}

/**
 * Builds the subscription (plan) `anthropic-ratelimit-unified-*` headers: overall status, reset
 * (epoch seconds), binding claim, fallback and overage fields, and per-window utilization/reset.
 */
export function unifiedRateLimitHeaders(options: {
  status: 'allowed' | 'allowed_warning' | 'rejected';
  resetAt?: number;
  representativeClaim?: string;
  fallback?: string;
  overageStatus?: string;
  overageResetAt?: number;
  overageDisabledReason?: string;
  /** Keyed by window kind: `five_hour`, `seven_day`, `seven_day_opus`, `seven_day_sonnet`, `overage`. */
  windows?: Record<string, UnifiedWindowScript>;
}): Record<string, string> {
  const p = 'anthropic-ratelimit-unified';
  const headers: Record<string, string> = { [`${p}-status`]: options.status };
  if (options.resetAt !== undefined) headers[`${p}-reset`] = String(options.resetAt);
  if (options.representativeClaim !== undefined) headers[`${p}-representative-claim`] = options.representativeClaim;
  if (options.fallback !== undefined) headers[`${p}-fallback`] = options.fallback;
  if (options.overageStatus !== undefined) headers[`${p}-overage-status`] = options.overageStatus;
  if (options.overageResetAt !== undefined) headers[`${p}-overage-reset`] = String(options.overageResetAt);
  if (options.overageDisabledReason !== undefined)
    headers[`${p}-overage-disabled-reason`] = options.overageDisabledReason;
  for (const [kind, window] of Object.entries(options.windows ?? {})) {
    const short = WINDOW_ABBREVIATIONS[kind] ?? kind;
    if (window.utilization !== undefined) headers[`${p}-${short}-utilization`] = String(window.utilization);
    if (window.resetAt !== undefined && !(short === 'overage' && options.overageResetAt !== undefined))
      headers[`${p}-${short}-reset`] = String(window.resetAt);
    if (window.surpassedThreshold !== undefined)
      headers[`${p}-${short}-surpassed-threshold`] = String(window.surpassedThreshold);
  }
  return headers;
}
