import { expect, it } from 'vitest';

// The public surfaces, listed: a change to one shows up here and is made on purpose (vitest -u).
it('exports the loopback servers, clock and Claude Code helpers at the root', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "CREDIT_BALANCE_TOO_LOW_MESSAGE",
      "ServeUsageError",
      "assertConserved",
      "checkConservation",
      "claudeCodeEnv",
      "manualClock",
      "parseServeArgs",
      "replies",
      "serve",
      "standardRateLimitHeaders",
      "startAnthropicServer",
      "unifiedRateLimitHeaders",
    ]
  `);
});

it('exports the store suites on @drawdown/testkit/store-contract', async () => {
  expect(Object.keys(await import('../src/store-contract.js')).sort()).toMatchInlineSnapshot(`
    [
      "describeStoreAcrossProcesses",
      "describeStoreContract",
      "describeStoreModel",
      "runStoreWorker",
      "startStoreWorker",
    ]
  `);
});

it('exports the worker side of the multi-process suite on @drawdown/testkit/store-worker', async () => {
  expect(Object.keys(await import('../src/store-worker.js')).sort()).toMatchInlineSnapshot(`
    [
      "runStoreWorker",
    ]
  `);
});
