import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  test: {
    name: 'acp',
    // One module graph per worker for all of this project's files: see the root vitest.config.ts.
    isolate: false,
    include: ['src/**/*.test.ts', 'test/*.test.ts'],
    // Tests start the real ACP adapter and Claude Code under it, some twice: budgets for a loaded machine.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
