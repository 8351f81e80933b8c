import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  // Starts the real ACP adapter (and Claude Code under it) twice: generous budgets for a loaded machine.
  test: {
    name: 'example-acp-desktop-agent',
    include: ['test/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
