// Claude Code's own session logs as an observed source of spend (Node only: it reads files).
export {
  readClaudeCodeUsage,
  type ClaudeCodeUsage,
  type ClaudeUsageRow,
  type ReadClaudeUsageOptions,
} from './read.js';
export { claudeConfigDirs, defaultCacheFile } from './files.js';
export { meteredRequestIds } from './metered.js';
export { MAX_TOKENS, SKIP_REASONS, type SkipCounts, type SkipReason } from './scan.js';
