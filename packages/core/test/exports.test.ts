import { expect, it } from 'vitest';

// The public surfaces, listed: a change to one shows up here and is made on purpose (vitest -u).
// The root is what a plugin author needs; specialised parts live on subpaths.
it('exports the plugin-author surface at the root', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "API_CREDENTIAL_VARS",
      "BUILT_IN_PRICE_ROWS",
      "CHILD_AUTH_VARIABLES",
      "DrawdownError",
      "ErrorCodes",
      "INFERENCE_GEOS",
      "NANOS_PER_USD",
      "PROVIDER_SWITCH_VARS",
      "REDIRECT_VARS",
      "SPEEDS",
      "USER_OAUTH_TOKEN_VAR",
      "apiKey",
      "apiRequestsFromOtlpLogs",
      "assertNanos",
      "budget",
      "calendarWindow",
      "checkRateCardConfig",
      "childEnvForOwnSignIn",
      "childEnvWithApiKey",
      "classifyRefusal",
      "claudeCodeAuthSource",
      "compareGrants",
      "createAgentSdkMeter",
      "createHub",
      "createRateCard",
      "createTelemetryMeter",
      "defaultRateCard",
      "describePriceRow",
      "firstRefusedCounter",
      "formatResetTime",
      "formatUsd",
      "headerRecord",
      "importOptional",
      "invalidOption",
      "isApiRetryMessage",
      "isDrawdownError",
      "isFundablePool",
      "isRateLimitEvent",
      "isResultMessage",
      "ledgerAccount",
      "localDate",
      "memoryStore",
      "meterAgentOutput",
      "parsePlanLimitHeaders",
      "parseRateLimitHeaders",
      "parseResetInstant",
      "parseUtilization",
      "payAsYouGo",
      "planWindowKind",
      "poolIdOption",
      "rateLimitHeaderSubset",
      "refusalKind",
      "reportTotals",
      "shareOf",
      "silentLogger",
      "sortReportRows",
      "sqlReport",
      "startOtlpReceiver",
      "stderrLogger",
      "systemClock",
      "toDecimalString",
      "usd",
      "usdOption",
      "windowStart",
    ]
  `);
});

it('exports the metered Anthropic client on @drawdown/core/anthropic', async () => {
  expect(Object.keys(await import('../src/anthropic/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "AnthropicErrorCodes",
      "DOCUMENT_TOKENS_ESTIMATE",
      "IMAGE_TOKENS_ESTIMATE",
      "createMeteredClient",
      "createStreamUsage",
      "estimateFromParams",
    ]
  `);
});

it('exports the pool forecast on @drawdown/core/forecast', async () => {
  expect(Object.keys(await import('../src/forecast/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "LOOKBACK_MS",
      "RATE_WINDOWS",
      "assumedRate",
      "burnRate",
      "forecastPool",
      "forecastPools",
      "formatDuration",
      "rateEvidence",
      "spendHistory",
    ]
  `);
});

it('exports reconciliation with Anthropic usage reporting on @drawdown/core/reconcile', async () => {
  expect(Object.keys(await import('../src/reconcile/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "BUCKET_WIDTHS",
      "CATEGORY_LABELS",
      "DEFAULT_REPORTING_LAG_MS",
      "DEFAULT_TOLERANCE",
      "ReconcileErrorCodes",
      "TOKEN_CATEGORIES",
      "compareUsage",
      "fetchUsageReport",
      "ledgerCounts",
      "reconcile",
    ]
  `);
});
