/**
 * Error codes raised by `@drawdown/mcp-server`. Every one is a `DrawdownError` whose message says
 * what happened and what to do.
 */
export const McpErrorCodes = {
  /** `serveHttp` was asked to bind a non-loopback address without a bearer token. */
  BEARER_TOKEN_REQUIRED: 'DRAWDOWN_MCP_BEARER_TOKEN_REQUIRED',
  /** A tool that needs the router was called on a hub created without a route. */
  NO_ROUTE: 'DRAWDOWN_MCP_NO_ROUTE',
  /** A write tool named a pool that cannot take funds or an auto-reload policy. */
  NOT_FUNDABLE: 'DRAWDOWN_MCP_NOT_FUNDABLE',
  /** The user declined (or cancelled) a write; nothing changed. */
  NOT_CONFIRMED: 'DRAWDOWN_MCP_NOT_CONFIRMED',
  /** The client cannot ask its user to confirm a write, so the write was refused. */
  CONFIRMATION_UNAVAILABLE: 'DRAWDOWN_MCP_CONFIRMATION_UNAVAILABLE',
  /** A tool argument is well-formed but makes no sense (a range ending before it starts). */
  INVALID_ARGUMENT: 'DRAWDOWN_MCP_INVALID_ARGUMENT',
  /** A tool needs a setting where the server runs that is missing (the Admin key `reconcile` reads with). */
  NOT_CONFIGURED: 'DRAWDOWN_MCP_NOT_CONFIGURED',
} as const;

export type McpErrorCode = (typeof McpErrorCodes)[keyof typeof McpErrorCodes];
