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
      "USAGE_FIELDS",
      "USER_OAUTH_TOKEN_VAR",
      "apiKey",
      "assertNanos",
      "budget",
      "calendarWindow",
      "checkRateCardConfig",
      "childEnvForOwnSignIn",
      "childEnvWithApiKey",
      "classifyRefusal",
      "claudeCodeAuthSource",
      "createHub",
      "createRateCard",
      "defaultRateCard",
      "describePriceRow",
      "formatResetTime",
      "formatUsd",
      "invalidOption",
      "isDrawdownError",
      "isFundablePool",
      "ledgerAccount",
      "localDate",
      "memoryStore",
      "parsePricingDate",
      "parseRateLimitHeaders",
      "payAsYouGo",
      "poolIdOption",
      "refusalKind",
      "shareOf",
      "silentLogger",
      "stderrLogger",
      "systemClock",
      "toDecimalString",
      "usd",
      "usdOption",
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
      "REPORT_SOURCES",
      "ReconcileErrorCodes",
      "TOKEN_CATEGORIES",
      "compareUsage",
      "driftByPool",
      "fetchAnalyticsUsage",
      "fetchUsageReport",
      "ledgerCounts",
      "reconcile",
      "reconcileJson",
      "reconcileOptionProblems",
    ]
  `);
});

it('exports the Agent SDK and Claude Code meters on @drawdown/core/agent-sdk', async () => {
  expect(Object.keys(await import('../src/agent-sdk/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ZERO_COUNTS",
      "apiRequestsFromOtlpLogs",
      "createAgentSdkMeter",
      "createSessionMeter",
      "createTelemetryMeter",
      "isApiRetryMessage",
      "isRateLimitEvent",
      "isResultMessage",
      "meterAgentOutput",
      "startOtlpReceiver",
    ]
  `);
});

it('exports what store authors share on @drawdown/core/store', async () => {
  expect(Object.keys(await import('../src/store.js')).sort()).toMatchInlineSnapshot(`
    [
      "SPEND_HOUR_MS",
      "compareGrants",
      "drawFromGrants",
      "firstRefusedCounter",
      "grantFundsAvailable",
      "limitHoldKey",
      "liveGrants",
      "newGrant",
      "sortReportRows",
      "sqlReport",
      "windowStart",
    ]
  `);
});

it('exports the helpers of drawdown own packages on @drawdown/core/internal', async () => {
  expect(Object.keys(await import('../src/internal.js')).sort()).toMatchInlineSnapshot(`
    [
      "GuardErrorCodes",
      "LIMIT_ACCOUNT_PREFIXES",
      "addFundsQuestion",
      "announceObservedStanding",
      "attemptAlongRoute",
      "autoReloadPolicy",
      "autoReloadQuestion",
      "centsAddingUp",
      "createRequestGuard",
      "formatUsdDecimal",
      "fundablePool",
      "guardedIncoming",
      "guardedWeb",
      "headerRecord",
      "hubOptionProblems",
      "importOptional",
      "isLimitAccount",
      "isLoopbackHost",
      "isRecord",
      "isWildcardHost",
      "limitAccount",
      "observeHeaders",
      "observeLimits",
      "parsePlanLimitHeaders",
      "parseResetInstant",
      "parseUtilization",
      "planWindowKind",
      "positiveUsd",
      "rateLimitHeaderSubset",
      "refusalBody",
      "reportTotals",
      "throwFirstProblem",
    ]
  `);
});

it('keeps the root to at most 45 runtime values, for app and plugin authors', async () => {
  expect(Object.keys(await import('../src/index.js')).length).toBeLessThanOrEqual(45);
});

it('exports the Claude Code log reader on its own Node-only subpath', async () => {
  expect(Object.keys(await import('../src/claude-logs/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "MAX_TOKENS",
      "SKIP_REASONS",
      "claudeConfigDirs",
      "defaultCacheFile",
      "meteredRequestIds",
      "readClaudeCodeUsage",
    ]
  `);
});
