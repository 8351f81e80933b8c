import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['drawdown-source'] },
  ssr: { resolve: { conditions: ['drawdown-source'] } },
  test: { name: 'plugin-credits', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
});
