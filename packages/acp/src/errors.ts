/** Error codes raised by @drawdown/acp. Every error is a `DrawdownError` from core. */
export const AcpErrorCodes = {
  /** The agent command could not be started (not found, not executable); `data.command` names it. */
  AGENT_SPAWN_FAILED: 'DRAWDOWN_ACP_AGENT_SPAWN_FAILED',
  /**
   * `drawdown acp` answered a `session/prompt` itself: no route entry could hold it. In the JSON-RPC
   * error's `data.code`; `data.cause` is the core code (DRAWDOWN_ROUTE_EXHAUSTED), `data.blocked` the pools.
   */
  PROMPT_REFUSED: 'DRAWDOWN_ACP_PROMPT_REFUSED',
  /** `admit()` was called on a tap after `close()`; a new connection needs a new tap. */
  TAP_CLOSED: 'DRAWDOWN_ACP_TAP_CLOSED',
  /** A `usage_update` reported its cost in a currency other than USD; it is not charged. */
  UNSUPPORTED_CURRENCY: 'DRAWDOWN_ACP_UNSUPPORTED_CURRENCY',
} as const;

export type AcpErrorCode = (typeof AcpErrorCodes)[keyof typeof AcpErrorCodes];
