import './events.js';

export { OAuthErrorCodes, type OAuthErrorCode } from './errors.js';
export type { OAuthEventName } from './events.js';

export { oauth, type OAuthOptions } from './oauth/plugin.js';
export {
  createOAuthClient,
  OAUTH_BETA_HEADER,
  type OAuthClient,
  type LoginOptions,
  type LoginResult,
  type LogoutResult,
} from './oauth/client.js';
export type { OAuthClientOptions } from './oauth/options.js';
export { memoryTokenStore, type TokenStore, type StoredTokens } from './oauth/token-store.js';
export { fileTokenStore, configDirectory, type FileTokenStoreOptions } from './oauth/file-token-store.js';
export type { FileLockOptions } from './oauth/file-lock.js';
export type { ServerErrorData, OAuthStep } from './oauth/server-errors.js';

export { delegated, type DelegatedOptions } from './delegated/delegated.js';
export type { ProbeOptions } from './delegated/probe.js';

export { planAllowance, allowanceStateKey, PLAN_LIMIT_REACHED, type PlanAllowanceOptions } from './allowance/pool.js';
export {
  parseUnifiedHeaders,
  parseRateLimitInfo,
  UNIFIED_PREFIX,
  type PlanObservation,
  type WindowKind,
  type WindowReading,
  type LimitStatus,
} from './allowance/signals.js';
export type { AllowanceState, StoredWindow } from './allowance/windows.js';
export { windowLabel } from './allowance/wording.js';
