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
    // Each package's own project sets `isolate: false`: its test files share one module graph per
    // worker instead of importing drawdown again for every file. The suite is CPU-bound on 2 cores;
    // measured with and without, it saved 97 of 545 CPU-seconds across those projects (cli 205 → 167,
    // the nine library projects 275 → 229, core 64 → 51). Tests that change process.env restore it.
    // The `-real` projects, examples and repository tests keep isolation: each file starts
    // third-party software, and isolating costs them nothing measurable.
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.real.config.ts',
      'examples/*/vitest.config.ts',
      'test/vitest.config.ts',
    ],
  },
});
