/**
 * Every error drawdown raises is a `DrawdownError` with a stable `code` (UPPER_SNAKE, prefixed by
 * the package: `DRAWDOWN_*` for core, `DRAWDOWN_OAUTH_*`, `DRAWDOWN_CREDITS_*`, ...), an optional
 * `cause`, and typed `data` a program can act on. Messages say what happened and what to do.
 */
export class DrawdownError<Data extends object = Record<string, unknown>> extends Error {
  override readonly name = 'DrawdownError';
  readonly code: string;
  readonly data: Data;

  constructor(code: string, message: string, options: { data?: Data; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data ?? ({} as Data);
  }

  toJSON(): { code: string; message: string; data: Data } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/** Type guard that also narrows on the code when one is given. */
export function isDrawdownError(error: unknown, code?: string): error is DrawdownError {
  return error instanceof DrawdownError && (code === undefined || error.code === code);
}

/** Core error codes. Plugins define their own with their package prefix. */
export const ErrorCodes = {
  /** A plugin or hub option is missing or malformed; `data.field` names it. */
  INVALID_OPTION: 'DRAWDOWN_INVALID_OPTION',
  /** Two plugins registered with the same id. */
  DUPLICATE_PLUGIN: 'DRAWDOWN_DUPLICATE_PLUGIN',
  /** A plugin declared a dependency that is not registered. */
  MISSING_DEPENDENCY: 'DRAWDOWN_MISSING_DEPENDENCY',
  /** Plugins depend on each other in a cycle. */
  DEPENDENCY_CYCLE: 'DRAWDOWN_DEPENDENCY_CYCLE',
  /** A pool, strategy or route entry id was referenced but never registered. */
  UNKNOWN_REFERENCE: 'DRAWDOWN_UNKNOWN_REFERENCE',
  /** The rate card has no price for this model; `data.suggestions` lists close names. */
  UNKNOWN_MODEL: 'DRAWDOWN_UNKNOWN_MODEL',
  /** A usage object is not shaped like the API's `usage`. */
  INVALID_USAGE: 'DRAWDOWN_INVALID_USAGE',
  /** A money amount is malformed, negative where it must not be, or beyond the safe range. */
  INVALID_AMOUNT: 'DRAWDOWN_INVALID_AMOUNT',
  /** A pool cannot admit this reservation; `data` says which limit and when it resets. */
  POOL_EXHAUSTED: 'DRAWDOWN_POOL_EXHAUSTED',
  /** No route entry can pay for the request; `data.blocked` says why for each entry. */
  ROUTE_EXHAUSTED: 'DRAWDOWN_ROUTE_EXHAUSTED',
  /** The store could not record a change; the request fails closed. */
  STORE_UNAVAILABLE: 'DRAWDOWN_STORE_UNAVAILABLE',
  /** The store file or database is from a newer drawdown, or corrupt. */
  STORE_INCOMPATIBLE: 'DRAWDOWN_STORE_INCOMPATIBLE',
  /** A hold was settled or released for a different account than it was reserved in. */
  HOLD_MISMATCH: 'DRAWDOWN_HOLD_MISMATCH',
  /** An auth strategy cannot provide credentials (e.g. no key in the environment). */
  AUTH_UNAVAILABLE: 'DRAWDOWN_AUTH_UNAVAILABLE',
  /** The hub was used after `close()`. */
  HUB_CLOSED: 'DRAWDOWN_HUB_CLOSED',
  /** A feature needs an optional package that is not installed; `data.package` names it. */
  MISSING_PACKAGE: 'DRAWDOWN_MISSING_PACKAGE',
} as const;

export type CoreErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Builds the INVALID_OPTION error every factory uses, so messages read the same everywhere. */
export function invalidOption(owner: string, field: string, problem: string, fix: string): DrawdownError {
  return new DrawdownError(ErrorCodes.INVALID_OPTION, `${owner}: option "${field}" ${problem}. ${fix}`, {
    data: { owner, field },
  });
}
