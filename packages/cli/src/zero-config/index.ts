export {
  zeroConfigView,
  zeroConfigJson,
  localTimeZone,
  type ZeroConfigView,
  type ZeroConfigOptions,
  type PlanWindowsView,
} from './view.js';
export { claudeConfigDirs, readClaudeCodeUsage, type ClaudeCodeUsage } from '@drawdown/core/claude-logs';
export { readCredentials, type CredentialView, type CredentialSource } from './credentials.js';
export { renderZeroConfig, renderClaudeUsage, renderObserved, type ZeroConfigSection } from './render.js';
export { readObserved, claudeUsageJson, observedRange, type ObservedRange } from './observed.js';
