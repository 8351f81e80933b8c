import { defineConfig } from 'vitest/config';

// One root config; every package and example is a project so `pnpm test` runs them all and
// `pnpm vitest run --project <name>` runs one. A package's slow tests that drive real third-party
// software (Claude Code, the Agent SDK, the ACP adapter) are a second project, `<package>-real`. The `drawdown-source` export condition makes workspace packages
// resolve to their TypeScript sources, so tests never need a build first.
export default defineConfig({
  test: {
    // Most test time waits on child processes (the CLI, Claude Code, servers): four workers keep two
    // cores busy. Measured on 2 cores: 815 s with the default two workers, 552 s with four.
    maxWorkers: 4,
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.real.config.ts',
      'examples/*/vitest.config.ts',
      'test/vitest.config.ts',
    ],
  },
});
