// One read of a Claude Code directory by drawdown's log reader, in a process of its own (as `status`
// or a fresh MCP server would do it): prints how long the read took, the process's peak memory and
// the token totals, as JSON. Usage: claude-logs-read.ts <claude dir> <cache file | "none">
import { readClaudeCodeUsage } from '@drawdown/core/claude-logs';

const [dir, cache] = process.argv.slice(2);
const start = performance.now();
const usage = await readClaudeCodeUsage({
  env: { CLAUDE_CONFIG_DIR: dir },
  timeZone: 'UTC',
  cacheFile: cache === 'none' ? false : cache!,
});
const ms = performance.now() - start;
const sum = (key: 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens') =>
  usage.rows.reduce((total, row) => total + row[key], 0);
process.stdout.write(
  `${JSON.stringify({
    ms,
    maxRssKb: process.resourceUsage().maxRSS,
    files: usage.read.files,
    tokens: {
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      cacheReadTokens: sum('cacheReadTokens'),
      cacheCreationTokens: sum('cacheWriteTokens'),
    },
  })}\n`,
);
