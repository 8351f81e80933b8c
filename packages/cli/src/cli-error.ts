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
  /** A change of money was not confirmed (answered no, or not answered); nothing changed. */
  NOT_CONFIRMED: 'DRAWDOWN_CLI_NOT_CONFIRMED',
  /** A feature needs something that is not configured or not available here. */
  UNAVAILABLE: 'DRAWDOWN_CLI_UNAVAILABLE',
  /** Something failed that drawdown did not expect (a bug); the message says what. */
  UNEXPECTED: 'DRAWDOWN_CLI_UNEXPECTED',
} as const;

export interface CliErrorData {
  /** What the user can do next; printed as the `hint:` line. */
  hint?: string;
  [key: string]: unknown;
}

export function cliError(
  code: string,
  message: string,
  hint: string,
  data: Record<string, unknown> = {},
  cause?: unknown,
): DrawdownError & { data: CliErrorData } {
  return new DrawdownError(code, message, { data: { ...data, hint }, cause });
}

/** A hint for errors raised by core and plugins, which do not carry one themselves. */
function hintFor(error: DrawdownError): string | undefined {
  const { data } = error;
  if (typeof data.hint === 'string') return data.hint;
  switch (error.code) {
    case ErrorCodes.UNKNOWN_MODEL:
      return 'Use a model id such as claude-opus-5-5, claude-sonnet-5-5 or claude-haiku-5-5 ("drawdown rates" lists them all), or add a row under rateCard.overrides.';
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
    case ErrorCodes.AUTH_UNAVAILABLE: {
      // An apiKey strategy names the variable it reads; "drawdown login" only helps managed OAuth strategies.
      const data: { envVar?: unknown; strategy?: unknown } = error.data;
      if (typeof data.envVar === 'string')
        return `Export ${data.envVar} (e.g. export ${data.envVar}=sk-ant-…) in the shell that runs drawdown, or point the strategy's "envVar" at the variable that holds your key.`;
      return `Sign in with "drawdown login${typeof data.strategy === 'string' ? ` --strategy ${data.strategy}` : ''}" if the strategy is an OAuth one; for an apiKey strategy, export the variable it reads.`;
    }
    default:
      return undefined;
  }
}

/** The JSON form of an error under `--json`: one object with `code`, `message`, `hint`, and the fields that help a program act on it. */
export interface ErrorJson {
  code: string;
  message: string;
  hint: string | null;
  /** The flag or argument at fault. */
  argument?: string;
  /** Every configuration problem with its field path. */
  problems?: unknown;
  /** The configuration file concerned. */
  file?: string;
}

/** Turns any thrown value into the JSON printed (one line on stderr) when a command ran with `--json`. */
export function errorJson(error: unknown): ErrorJson {
  if (isDrawdownError(error)) {
    const { data } = error;
    return {
      code: error.code,
      message: error.message,
      hint: hintFor(error) ?? null,
      ...(typeof data.argument === 'string' && { argument: data.argument }),
      ...(data.problems !== undefined && { problems: data.problems }),
      ...(typeof data.file === 'string' && { file: data.file }),
    };
  }
  const { line, hint } = describeFailure(error);
  return { code: CliErrorCodes.UNEXPECTED, message: line.replace(/^drawdown: /, ''), hint: hint ?? null };
}

/** Formats any thrown value as the CLI's one error line plus an optional hint line. */
export function describeFailure(error: unknown): { line: string; hint?: string } {
  if (isDrawdownError(error)) {
    const hint = hintFor(error);
    return { line: `drawdown: ${error.message} (${error.code})`, ...(hint !== undefined && { hint }) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    line: `drawdown: ${message.split('\n')[0]}`,
    hint: 'This looks like a bug; set DRAWDOWN_LOG_LEVEL=debug and run again for details.',
  };
}
