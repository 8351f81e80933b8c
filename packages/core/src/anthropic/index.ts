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
// Header parsing and refusal classification live on the main entry (`@drawdown/core`): plugins use
// them without loading the SDK.
export {
  estimateFromParams,
  IMAGE_TOKENS_ESTIMATE,
  DOCUMENT_TOKENS_ESTIMATE,
  type EstimableParams,
} from './estimate.js';
export { createStreamUsage } from './stream-usage.js';
export { AnthropicErrorCodes, type AnthropicErrorCode } from './errors.js';
