import { DrawdownError, ErrorCodes, isDrawdownError } from '@drawdown/core';

/** Error codes raised by the CLI itself. */
export const CliErrorCodes = {
  /** A command-line argument is missing or malformed; `data.argument` names it. */
  INVALID_ARGUMENT: 'DRAWDOWN_CLI_INVALID_ARGUMENT',
  /** The configuration file or environment is invalid; `data.problems` lists every problem with its path. */
  INVALID_CONFIG: 'DRAWDOWN_CLI_INVALID_CONFIG',
  /** A named route entry, pool or strategy is not in the configuration. */
  UNKNOWN_NAME: 'DRAWDOWN_CLI_UNKNOWN_NAME',
  /** A child process could not be started. */
  SPAWN_FAILED: 'DRAWDOWN_CLI_SPAWN_FAILED',
  /** A feature needs something that is not configured or not available here. */
  UNAVAILABLE: 'DRAWDOWN_CLI_UNAVAILABLE',
} as const;

export interface CliErrorData {
  /** What the user can do next; printed as the `hint:` line. */
  hint?: string;
  [key: string]: unknown;
}

export function cliError(code: string, message: string, hint: string, data: Record<string, unknown> = {}, cause?: unknown): DrawdownError<CliErrorData> {
  return new DrawdownError<CliErrorData>(code, message, { data: { ...data, hint }, cause });
}

/** A hint for errors raised by core and plugins, which do not carry one themselves. */
function hintFor(error: DrawdownError): string | undefined {
  const data = error.data as Record<string, unknown>;
  if (typeof data.hint === 'string') return data.hint;
  switch (error.code) {
    case ErrorCodes.UNKNOWN_MODEL:
      return 'Use a model id such as claude-sonnet-4-5, claude-haiku-4-5 or claude-opus-4-7.';
    case ErrorCodes.INVALID_USAGE:
      return `Pass the API's usage object as JSON, e.g. --usage '{"input_tokens":1000,"output_tokens":500}'.`;
    case ErrorCodes.INVALID_OPTION:
      return 'Fix the named option in drawdown.config.json, then run "drawdown config check".';
    case ErrorCodes.STORE_UNAVAILABLE:
    case ErrorCodes.STORE_INCOMPATIBLE:
      return 'Check the store settings (DRAWDOWN_DB or "store" in drawdown.config.json).';
    case ErrorCodes.ROUTE_EXHAUSTED:
    case ErrorCodes.POOL_EXHAUSTED:
      return 'Run "drawdown status" to see which limit was hit and when it resets.';
    case ErrorCodes.UNKNOWN_REFERENCE:
      return 'Run "drawdown which" to see the route entries, or "drawdown config check" to check the names.';
    case ErrorCodes.AUTH_UNAVAILABLE:
      return 'Set the API key variable the strategy reads, or run "drawdown login".';
    default:
      return undefined;
  }
}

/** Formats any thrown value as the CLI's one error line plus an optional hint line. */
export function describeFailure(error: unknown): { line: string; hint?: string } {
  if (isDrawdownError(error)) {
    const hint = hintFor(error);
    return { line: `drawdown: ${error.message} (${error.code})`, ...(hint !== undefined && { hint }) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: `drawdown: ${message.split('\n')[0]}`, hint: 'This looks like a bug; set DRAWDOWN_LOG_LEVEL=debug and run again for details.' };
}
