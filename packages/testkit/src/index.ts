export { manualClock, type ManualClock } from './clock.js';
export {
  startAnthropicServer,
  replies,
  standardRateLimitHeaders,
  unifiedRateLimitHeaders,
  CREDIT_BALANCE_TOO_LOW_MESSAGE,
  type AnthropicServer,
  type AnthropicServerOptions,
  type RecordedRequest,
  type ScriptedReply,
  type MessageReply,
  type ErrorReply,
  type ScriptedUsage,
  type StreamScript,
  type StreamPoint,
  type StandardBucket,
  type UnifiedWindowScript,
} from './anthropic-server/index.js';
