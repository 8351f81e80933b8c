export { startGateway, type Gateway, type GatewayOptions, type GatewayRoute } from './gateway.js';
export {
  keyManager,
  keyVerifier,
  KEYS_STATE_KEY,
  KEY_BUDGET_PERIODS,
  modelAllowed,
  type KeyBudgetPeriod,
  type KeyRateLimits,
  type KeyManager,
  type KeyVerifier,
  type KeyRecord,
  type CreateKeyRequest,
  type CreatedKey,
} from './keys.js';
export { keyAccount, keySpend, type KeySpend, type KeySpent } from './key-budget.js';
export { keySpendReport, type KeySpendReport, type KeySpendRow } from './key-report.js';
export { keyView, type KeyView } from './key-view.js';
export type { AdminOptions } from './options.js';
export {
  budgetLevels,
  checkBudgetHierarchy,
  levelAccount,
  BUDGET_PERIODS,
  type BudgetHierarchy,
  type BudgetLevels,
  type BudgetPeriod,
  type CheckedHierarchy,
  type DeclaredLevel,
  type Level,
  type LevelBudget,
  type LevelKind,
} from './levels.js';
export { reconcileSchedule, type ReconcileScheduleOptions, type ScheduledRun } from './reconcile-schedule.js';
export { createSseUsageReader } from './sse-usage.js';
export { sendError, type AnthropicErrorType } from './anthropic-errors.js';
export { GatewayErrorCodes, type GatewayErrorCode } from './errors.js';
export type { UpstreamOptions } from './upstream.js';
