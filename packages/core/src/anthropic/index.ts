export {
  createMeteredClient,
  type MeteredClient,
  type MeteredClientOptions,
  type MeteredCallOptions,
  type MeteredPromise,
  type MeteredResponse,
  type MeteredStream,
  type CallMetering,
  type SdkRequestOptions,
} from './client.js';
export {
  parseRateLimitHeaders,
  rateLimitHeaderSubset,
  headerRecord,
  type RateLimitHeaders,
  type RateLimitBucket,
  type StandardRateLimits,
  type UnifiedRateLimits,
  type PlanWindow,
  type PlanWindowKind,
  type HeaderSource,
} from './rate-limit-headers.js';
export { classifyRefusal, refusalKind, errorSignal, type RefusalKind } from './refusals.js';
export { estimateFromParams, IMAGE_TOKENS_ESTIMATE, DOCUMENT_TOKENS_ESTIMATE, type EstimableParams } from './estimate.js';
export { createStreamUsage } from './stream-usage.js';
export { AnthropicErrorCodes, type AnthropicErrorCode } from './errors.js';
