export { createHub, type Hub, type HubOptions, type HubStatus } from './hub.js';
export type {
  BeginRequest,
  ChargeRequest,
  LimitAlert,
  RequestLease,
  RequestLimitAccount,
  SettleRequest,
  Settlement,
} from './request-flow.js';
export type {
  Router,
  RouteEntry,
  RouteEntryInput,
  RouteOptions,
  RouteExplanation,
  EntryExplanation,
  EntryState,
  Blocked,
} from './router.js';
export type { DrawdownEvents, DrawdownEventName, DrawdownListener, EventBus } from './events.js';
export {
  DrawdownError,
  ErrorCodes,
  isDrawdownError,
  invalidOption,
  type CoreErrorCode,
  type DrawdownErrorData,
  type ErrorData,
  type OptionProblem,
  type PoolExhaustedData,
} from './errors.js';
export { stderrLogger, silentLogger, type Logger, type LogLevel } from './logger.js';
export { systemClock, type Clock } from './clock.js';
export {
  calendarWindow,
  localDate,
  formatResetTime,
  type CalendarPeriod,
  type CalendarWindow,
} from './calendar.js';
export {
  usd,
  formatUsd,
  toDecimalString,
  assertNanos,
  NANOS_PER_USD,
  type Nanos,
  type UsdDisplay,
} from './money.js';
export {
  createRateCard,
  defaultRateCard,
  type RateCard,
  type RateCardOptions,
  type ModelPrice,
  type CostBreakdown,
  type CostLine,
  type CostCategory,
  type PriceOptions,
  type Estimate,
  type EstimateRequest,
  type UnknownModelPolicy,
  type PricedBy,
  type CardModifiers,
  BUILT_IN_PRICE_ROWS,
  checkRateCardConfig,
} from './rate-card/rate-card.js';
export type {
  ModelPriceInput,
  PriceRatesInput,
  PriceBandInput,
  PriceRow,
  PriceRates,
  PriceRowProblem,
  RateCategory,
  Evidence,
} from './rate-card/schema.js';
export { describePriceRow, type PriceRowView } from './rate-card/describe.js';
export { parsePricingDate } from './rate-card/dates.js';
export {
  SPEEDS,
  INFERENCE_GEOS,
  USAGE_FIELDS,
  type AnthropicUsage,
  type BillableQuantities,
  type UsageModifiers,
  type Speed,
  type InferenceGeo,
} from './rate-card/usage.js';
export type {
  LedgerStore,
  WindowCountInput,
  WindowCountResult,
  Limit,
  LimitAccount,
  CapLimit,
  BalanceLimit,
  EntryMeta,
  ReserveInput,
  ReserveResult,
  HoldRecord,
  SettleInput,
  SettleResult,
  ChargeRecord,
  ReleaseInput,
  ReleaseResult,
  SnapshotInput,
  AccountSnapshot,
  GrantKind,
  GrantInput,
  GrantResult,
  GrantRecord,
  ReportDimension,
  ReportQuery,
  ReportRow,
  EntriesQuery,
  LedgerEntry,
  LedgerChange,
  SpendByHourQuery,
  SpendHour,
} from './contracts/store.js';
export type {
  PoolKind,
  PoolStatus,
  PoolLimitStatus,
  PoolReserveInput,
  PoolHold,
  PoolSettleInput,
  PoolSettlement,
  LimitSignal,
  Pool,
  AutoReloadPolicy,
  AddFundsResult,
  FundablePool,
} from './contracts/pool.js';
export { isFundablePool } from './contracts/pool.js';
export type {
  ChildEnv,
  SdkCredentials,
  AuthStatus,
  AuthKind,
  AuthStrategy,
} from './contracts/auth.js';
export type {
  PluginKind,
  LedgerPlacement,
  PluginContext,
  PluginInstance,
  DrawdownPlugin,
} from './contracts/plugin.js';
export { memoryStore } from './stores/memory-store.js';
export { budget, type BudgetOptions } from './pools/budget.js';
export {
  ledgerAccount,
  shareOf,
  usdOption,
  poolIdOption,
  type LedgerAccount,
  type LedgerAccountSpec,
  type CapView,
  type AccountLimit,
  type Refused,
  type Gate,
  type Crossing,
  type ScopedCrossing,
  type SpendLevels,
} from './pools/ledger-account.js';
export { apiKey, type ApiKeyOptions } from './auth/api-key.js';
export {
  childEnvWithApiKey,
  childEnvForOwnSignIn,
  claudeCodeAuthSource,
  CHILD_AUTH_VARIABLES,
  API_CREDENTIAL_VARS,
  PROVIDER_SWITCH_VARS,
  REDIRECT_VARS,
  USER_OAUTH_TOKEN_VAR,
  type ChildEnvOptions,
  type ChildVariableRole,
  type ClaudeCodeAuthSource,
} from './child-env.js';
export { payAsYouGo, type PayAsYouGoOptions } from './pools/pay-as-you-go.js';
export {
  parseRateLimitHeaders,
  type PlanLimitReading,
  type RateLimitHeaders,
  type RateLimitBucket,
  type StandardRateLimits,
  type UnifiedRateLimits,
  type PlanWindow,
  type PlanWindowKind,
  type HeaderSource,
} from './anthropic/rate-limit-headers.js';
export { classifyRefusal, refusalKind, type RefusalKind } from './anthropic/refusals.js';
