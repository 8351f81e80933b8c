import { defineProject } from 'vitest/config';

// The slow tests: each drives the real claude-agent-acp and Claude Code (pinned devDependencies)
// against the testkit's loopback API, through `drawdown acp` or a tap. `pnpm test` runs them too.
export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  test: {
    name: 'acp-real',
    include: ['test/real/**/*.test.ts'],
    // Each test starts the adapter and Claude Code under it, some twice: budgets for a loaded machine.
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
