import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  test: {
    name: 'plugin-oauth',
    // One module graph per worker for all of this project's files: see the root vitest.config.ts.
    isolate: false,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests here start processes or servers: budgets that hold on a busy 2-core machine (vitest's 5 s does not).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
