import { expect, it } from 'vitest';

// The public surface, listed: a change to it shows up here and is made on purpose (vitest -u).
it('exports its curated public surface', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "CliErrorCodes",
      "DEMO_CHILD_MODEL",
      "DEMO_SIGN_IN_VAR",
      "defineConfig",
      "demoChildAgent",
      "describeFailure",
      "loadConfig",
      "openHub",
      "renderZeroConfig",
      "runCli",
      "runMeteredChild",
      "validateConfig",
      "zeroConfigJson",
      "zeroConfigView",
    ]
  `);
});
