/** Error codes of the metered Anthropic client. */
export const AnthropicErrorCodes = {
  /**
   * The route picked an entry whose strategy is `delegated` (the user's own signed-in client): an
   * in-process SDK call has no credentials for it. Start the agent as a child with
   * `hub.childEnv(entryId)`, or pin a key or OAuth entry with `drawdown: { entry }`.
   */
  DELEGATED_ENTRY: 'DRAWDOWN_ANTHROPIC_DELEGATED_ENTRY',
  /** The call's parameters cannot be metered (no `model` or `max_tokens`). */
  INVALID_PARAMS: 'DRAWDOWN_ANTHROPIC_INVALID_PARAMS',
  /** A stream ended (aborted, broken off, failed) before `message_start`: nothing was billed, the hold is released. */
  STREAM_ENDED_EARLY: 'DRAWDOWN_ANTHROPIC_STREAM_ENDED_EARLY',
} as const;

export type AnthropicErrorCode = (typeof AnthropicErrorCodes)[keyof typeof AnthropicErrorCodes];
