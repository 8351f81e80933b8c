/**
 * `@drawdown/core/internal`: helpers drawdown's own packages share. Not a public API: names and
 * shapes here change without notice or a major version. Apps and plugins use `@drawdown/core`.
 */
export { importOptional } from './optional-package.js';
export { reportTotals, type ReportTotals } from './stores/report-rows.js';
export {
  headerRecord,
  rateLimitHeaderSubset,
  parsePlanLimitHeaders,
  parseResetInstant,
  parseUtilization,
  planWindowKind,
} from './anthropic/rate-limit-headers.js';
export { isRecord } from './is-record.js';
// Printing a column of amounts in cents that adds up to its printed total, and exact decimals.
export { centsAddingUp, formatUsdDecimal } from './money.js';
export {
  createRequestGuard,
  guardedIncoming,
  guardedWeb,
  isLoopbackHost,
  isWildcardHost,
  refusalBody,
  GuardErrorCodes,
  type GuardPolicy,
  type GuardRefusal,
  type GuardedRequest,
  type GuardTokenSource,
} from './http-guard.js';
// The one attempt policy of the metered client and the gateway.
export {
  attemptAlongRoute,
  observeHeaders,
  observeLimits,
  type AttemptPolicyOptions,
  type AttemptReply,
  type AttemptOutcome,
} from './anthropic/attempt.js';
// Accounts that mirror spend only to enforce a limit (a gateway key's budget, a budget-hierarchy level).
export { isLimitAccount, limitAccount, LIMIT_ACCOUNT_PREFIXES } from './limit-accounts.js';
// Adding funds and setting auto-reload by hand: one set of checks and questions for MCP and the CLI.
export {
  addFundsQuestion,
  autoReloadPolicy,
  autoReloadQuestion,
  fundablePool,
  positiveUsd,
  type AutoReloadFieldNames,
  type AutoReloadRequest,
  type FundingSurface,
} from './funding.js';
// `pool.low` / `pool.exhausted` of a pool whose standing is observed (the plan allowance), once across processes.
export { announceObservedStanding } from './pools/standing-alerts.js';
// Option checkers that return every problem, for the factories (which throw the first) and `config check`.
export { throwFirstProblem } from './errors.js';
export { hubOptionProblems } from './hub.js';
