/**
 * The Claude Agent SDK / `claude -p --output-format stream-json` messages drawdown reads, typed
 * structurally: drawdown has no runtime dependency on the Agent SDK, and fields it does not read
 * are left open.
 */

/** Per-model counts in a result message. Cumulative for the session, like `total_cost_usd`. */
export interface AgentModelUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  /** Of `cacheCreationInputTokens`, those written for 5 minutes (priced 1.25× input). */
  cacheCreationEphemeral5mInputTokens?: number;
  /** Of `cacheCreationInputTokens`, those written for 1 hour (priced 2× input). */
  cacheCreationEphemeral1hInputTokens?: number;
  webSearchRequests?: number;
  /** The agent's own price of this model's usage, in USD (a float). */
  costUSD?: number;
  [field: string]: unknown;
}

/** `type: "result"`: the end of a turn (one prompt and everything the agent did for it). */
export interface AgentResultMessage {
  type: 'result';
  subtype: string;
  session_id: string;
  uuid?: string;
  /** Cumulative cost of the session so far in USD; starts again from 0 after `/clear`. */
  total_cost_usd: number;
  num_turns?: number;
  is_error?: boolean;
  usage?: Record<string, unknown>;
  modelUsage?: Record<string, AgentModelUsage>;
  /**
   * Per-model counts since this process's previous result (on a session's first result: since the
   * process started). Shows which part of a resumed or forked session's cumulative figures is new.
   */
  model_usage_since_last_result?: Record<string, AgentModelUsage>;
  api_error_status?: number | null;
  [field: string]: unknown;
}

/** `type: "rate_limit_event"`: the plan-limit state the signed-in client saw. */
export interface AgentRateLimitEvent {
  type: 'rate_limit_event';
  rate_limit_info: Record<string, unknown>;
  session_id?: string;
  uuid?: string;
  [field: string]: unknown;
}

/** `type: "system", subtype: "api_retry"`: the agent is retrying a failed API call. */
export interface AgentApiRetryMessage {
  type: 'system';
  subtype: 'api_retry';
  attempt?: number;
  max_retries?: number;
  retry_delay_ms?: number;
  error_status?: number | null;
  /** `rate_limit`, `billing_error`, `overloaded`, `authentication_failed`... */
  error?: string;
  session_id?: string;
  [field: string]: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function isResultMessage(message: unknown): message is AgentResultMessage {
  return (
    isObject(message) &&
    message.type === 'result' &&
    typeof message.session_id === 'string' &&
    typeof message.total_cost_usd === 'number'
  );
}

export function isRateLimitEvent(message: unknown): message is AgentRateLimitEvent {
  return isObject(message) && message.type === 'rate_limit_event' && isObject(message.rate_limit_info);
}

export function isApiRetryMessage(message: unknown): message is AgentApiRetryMessage {
  return isObject(message) && message.type === 'system' && message.subtype === 'api_retry';
}
