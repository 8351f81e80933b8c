import { defineConfig } from 'vitest/config';

// One root config; every package and example is a project so `pnpm test` runs them all and
// `pnpm vitest run --project <name>` runs one. The `drawdown-source` export condition makes workspace packages
// resolve to their TypeScript sources, so tests never need a build first.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'examples/*/vitest.config.ts'],
  },
});
