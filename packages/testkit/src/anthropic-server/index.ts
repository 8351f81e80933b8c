export {
  startAnthropicServer,
  type AnthropicServer,
  type AnthropicServerOptions,
  type RecordedRequest,
} from './server.js';
export {
  replies,
  standardRateLimitHeaders,
  unifiedRateLimitHeaders,
  CREDIT_BALANCE_TOO_LOW_MESSAGE,
  type ScriptedReply,
  type MessageReply,
  type ErrorReply,
  type ScriptedUsage,
  type StreamScript,
  type StreamPoint,
  type StandardBucket,
  type UnifiedWindowScript,
} from './replies.js';
export type { AdminApi, AdminApiOptions } from './admin-api.js';
export type { BilledRequest } from './billing.js';
