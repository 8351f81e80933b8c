import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { name: 'example-custom-billing-plugin', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
