import { defineProject } from 'vitest/config';

// The slow tests: `drawdown acp` in front of the real claude-agent-acp and Claude Code (pinned
// devDependencies) against the testkit's loopback API. `pnpm test` runs them too.
export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  test: {
    name: 'cli-real',
    include: ['test/real/**/*.test.ts'],
    // Each test starts the CLI, the adapter and Claude Code under it: budgets for a loaded machine.
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
