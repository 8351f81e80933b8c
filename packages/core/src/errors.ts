import type { Nanos } from './nanos.js';

/**
 * Every error drawdown raises is a `DrawdownError` with a stable `code` (UPPER_SNAKE, prefixed by
 * the package: `DRAWDOWN_*` for core, `DRAWDOWN_OAUTH_*`, `DRAWDOWN_CREDITS_*`, ...), an optional
 * `cause`, and `data` a program can act on, typed by the code (see `DrawdownErrorData`):
 *
 * ```ts
 * if (isDrawdownError(error, ErrorCodes.POOL_EXHAUSTED)) retryAt(error.data.resetsAt);
 * ```
 */
/**
 * The brand every `DrawdownError` carries. `Symbol.for` gives the same symbol in every copy of
 * `@drawdown/core` loaded in one process (two versions installed side by side, or a bundled copy),
 * so `instanceof DrawdownError` and `isDrawdownError` recognise errors thrown by any of them.
 */
const kDrawdownError = Symbol.for('@drawdown/core.DrawdownError');

export class DrawdownError<C extends string = string> extends Error {
  override readonly name = 'DrawdownError';
  readonly [kDrawdownError] = true;
  readonly code: C;
  readonly data: ErrorData<C>;

  constructor(code: C, message: string, options: { data?: ErrorData<C>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data ?? ({} as ErrorData<C>);
  }

  toJSON(): { code: C; message: string; data: ErrorData<C> } {
    return { code: this.code, message: this.message, data: this.data };
  }

  /** Recognises errors by brand, not by prototype, so a copy of core loaded twice still matches. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as { [kDrawdownError]?: unknown })[kDrawdownError] === true
    );
  }
}

/** Type guard; given a code it also narrows `code` and `data` to that code's. */
export function isDrawdownError<C extends string = string>(error: unknown, code?: C): error is DrawdownError<C> {
  return error instanceof DrawdownError && (code === undefined || error.code === code);
}

/** Why a pool refused a reservation: what the router and `router.explain()` read. */
export type PoolExhaustedData = {
  poolId: string;
  /** The limit that refused, as people call it ("monthly cap", "credit balance"). */
  limit: string;
  /** The same limit's stable id (`monthly-cap`, `balance`, `seven_day`): match on this, not on `limit`. */
  limitId?: string;
  /** What the limit could still admit (negative after an overrun). */
  available?: Nanos;
  requested?: Nanos;
  /** The refusing cap's size, when a cap refused. */
  cap?: Nanos;
  /** When the limit lets requests through again (epoch ms), if it resets. */
  resetsAt?: number;
};

/**
 * The `data` each error code carries. Plugins add their codes by declaration merging (write each
 * shape as a type literal, which is assignable to the plain record a code-less guard gives):
 *
 * ```ts
 * declare module '@drawdown/core' {
 *   interface DrawdownErrorData { DRAWDOWN_ACME_DECLINED: { invoice: string } }
 * }
 * ```
 */
export interface DrawdownErrorData {
  DRAWDOWN_INVALID_OPTION: {
    owner: string;
    field: string;
    /** What is wrong, worded to follow the field's name (`is "-3", not a USD amount`). */
    problem?: string;
    /** What to write instead. */
    fix?: string;
    problems?: unknown[];
  };
  DRAWDOWN_DUPLICATE_PLUGIN: { plugin: string; field: string };
  DRAWDOWN_MISSING_DEPENDENCY: { plugin: string; field: string; dependency: string };
  DRAWDOWN_DEPENDENCY_CYCLE: { plugin: string; field: string; cycle: string[] };
  DRAWDOWN_UNKNOWN_REFERENCE: { field: string; value?: string };
  DRAWDOWN_UNKNOWN_MODEL: { model: string | null; suggestions: string[]; pricedFrom?: string };
  DRAWDOWN_INVALID_USAGE: { field: string; value?: string | null; model?: string; accepted?: string[] };
  DRAWDOWN_INVALID_AMOUNT: { value?: string; what?: string; amount?: unknown; reportedCost?: unknown };
  DRAWDOWN_INVALID_DATE: { field: string; value: string };
  DRAWDOWN_POOL_EXHAUSTED: PoolExhaustedData;
  DRAWDOWN_LIMIT_EXHAUSTED: {
    /** The limit account that refused (e.g. `limit:team:research`). */
    account: string;
    limit: string;
    available: Nanos;
    requested: Nanos;
    resetsAt?: number;
  };
  DRAWDOWN_ROUTE_EXHAUSTED: {
    requestId: string;
    blocked: Array<{ entryId: string; reason: string; resetsAt?: number }>;
    requested: Nanos;
  };
  DRAWDOWN_STORE_UNAVAILABLE: { store?: string; file?: string; schema?: string; node?: string; poolId?: string };
  DRAWDOWN_STORE_INCOMPATIBLE: {
    store: string;
    file?: string;
    schema?: string;
    version?: number;
    supported?: number;
    [detail: string]: unknown;
  };
  DRAWDOWN_AUTH_UNAVAILABLE: {
    strategy?: string;
    envVar?: string;
    entryId?: string;
    strategyId?: string;
    kind?: string;
  };
  DRAWDOWN_HUB_CLOSED: Record<string, never>;
  DRAWDOWN_MISSING_PACKAGE: { package: string; range: string; feature: string };
  DRAWDOWN_REQUEST_FAILED: Record<string, never>;
  /** Codes of `@drawdown/core/reconcile` (`ReconcileErrorCodes`). */
  DRAWDOWN_RECONCILE_RATE_LIMITED: { status: 429; retryAfterMs?: number; requestId?: string; page: number };
  DRAWDOWN_RECONCILE_UPSTREAM_FAILED: { status: number; errorType?: string; requestId?: string; page: number };
  DRAWDOWN_RECONCILE_UNREADABLE: { url: string; page: number };
}

/** The `data` of an error with code `C`: its entry in `DrawdownErrorData`, or a plain record for codes not listed. */
export type ErrorData<C extends string> = string extends C
  ? Record<string, unknown>
  : C extends keyof DrawdownErrorData
    ? DrawdownErrorData[C]
    : Record<string, unknown>;

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
  /** A pricing date is not a real calendar day or time (`2026-11-31`, `NaN`); `data.field` names it. */
  INVALID_DATE: 'DRAWDOWN_INVALID_DATE',
  /** A money amount is malformed, negative where it must not be, or beyond the safe range. */
  INVALID_AMOUNT: 'DRAWDOWN_INVALID_AMOUNT',
  /** A pool cannot admit this reservation; `data` says which limit and when it resets. */
  POOL_EXHAUSTED: 'DRAWDOWN_POOL_EXHAUSTED',
  /**
   * A limit account held with the request (a budget level such as a team's) cannot admit it;
   * `data.account` names it. No route entry can help, so the router does not try the next one.
   */
  LIMIT_EXHAUSTED: 'DRAWDOWN_LIMIT_EXHAUSTED',
  /** No route entry can pay for the request; `data.blocked` says why for each entry. */
  ROUTE_EXHAUSTED: 'DRAWDOWN_ROUTE_EXHAUSTED',
  /** The store could not record a change; the request fails closed. */
  STORE_UNAVAILABLE: 'DRAWDOWN_STORE_UNAVAILABLE',
  /** The store file or database is from a newer drawdown, or corrupt. */
  STORE_INCOMPATIBLE: 'DRAWDOWN_STORE_INCOMPATIBLE',
  /** An auth strategy cannot provide credentials (e.g. no key in the environment). */
  AUTH_UNAVAILABLE: 'DRAWDOWN_AUTH_UNAVAILABLE',
  /** The hub was used after `close()`. */
  HUB_CLOSED: 'DRAWDOWN_HUB_CLOSED',
  /** A feature needs an optional package that is not installed; `data.package` names it. */
  MISSING_PACKAGE: 'DRAWDOWN_MISSING_PACKAGE',
  /**
   * Reported on `request.failed` (never thrown) when a request failed for a reason outside
   * drawdown: the network, the API, the caller's own error.
   */
  REQUEST_FAILED: 'DRAWDOWN_REQUEST_FAILED',
} as const;

export type CoreErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * One thing wrong with an option: the field, what is wrong (worded to follow the field's name) and
 * the fix. A module that checks options returns these from one checker, so a factory (which throws
 * the first) and a configuration check (which reports them all) read the same rule.
 */
export interface OptionProblem {
  field: string;
  problem: string;
  fix: string;
}

/** Builds the INVALID_OPTION error every factory uses, so messages read the same everywhere. */
export function invalidOption(
  owner: string,
  field: string,
  problem: string,
  fix: string,
): DrawdownError<typeof ErrorCodes.INVALID_OPTION> {
  return new DrawdownError(ErrorCodes.INVALID_OPTION, `${owner}: option "${field}" ${problem}. ${fix}`, {
    data: { owner, field, problem, fix },
  });
}

/** Throws the first of a checker's problems as the INVALID_OPTION error of `owner`; returns when there are none. */
export function throwFirstProblem(owner: string, problems: readonly OptionProblem[]): void {
  const first = problems[0];
  if (first) throw invalidOption(owner, first.field, first.problem, first.fix);
}
