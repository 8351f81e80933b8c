import { defineProject } from 'vitest/config';

// The slow tests: the real Agent SDK (its bundled Claude Code, a pinned devDependency) against the
// testkit's loopback API. `pnpm test` runs them too.
export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  test: {
    name: 'core-real',
    include: ['test/real/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});
