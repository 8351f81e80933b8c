import { expect, it } from 'vitest';

// The public surface, listed: a change to it shows up here and is made on purpose (vitest -u).
it('exports its curated public surface', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "OAUTH_BETA_HEADER",
      "OAuthErrorCodes",
      "PLAN_LIMIT_REACHED",
      "UNIFIED_PREFIX",
      "allowanceStateKey",
      "configDirectory",
      "createOAuthClient",
      "delegated",
      "fileTokenStore",
      "memoryTokenStore",
      "oauth",
      "parseRateLimitInfo",
      "parseUnifiedHeaders",
      "planAllowance",
      "windowLabel",
    ]
  `);
});
