import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { name: 'example-team-budget-postgres', include: ['test/**/*.test.ts'], testTimeout: 90_000 },
});
