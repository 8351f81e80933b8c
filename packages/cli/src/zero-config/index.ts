export {
  zeroConfigView,
  zeroConfigJson,
  localTimeZone,
  type ZeroConfigView,
  type ZeroConfigOptions,
  type PlanWindowsView,
} from './view.js';
export {
  readClaudeCodeUsage,
  claudeConfigDirs,
  type ClaudeCodeUsage,
  type ClaudeUsageRow,
  type ReadClaudeUsageOptions,
} from './claude-logs.js';
export { readCredentials, type CredentialView, type CredentialSource } from './credentials.js';
export { renderZeroConfig, renderClaudeUsage, type ZeroConfigSection } from './render.js';
