export {
  createAgentSdkMeter,
  type AgentSdkMeter,
  type AgentSdkMeterOptions,
  type AgentObservation,
  type TurnCharge,
} from './meter.js';
export { meterAgentOutput, type AgentOutputOptions, type AgentOutputSummary } from './stream-json.js';
export {
  isResultMessage,
  isRateLimitEvent,
  isApiRetryMessage,
  type AgentResultMessage,
  type AgentRateLimitEvent,
  type AgentApiRetryMessage,
  type AgentModelUsage,
} from './messages.js';
export {
  apiRequestsFromOtlpLogs,
  createTelemetryMeter,
  startOtlpReceiver,
  type ClaudeCodeApiRequest,
  type TelemetryMeter,
  type TelemetryMeterOptions,
  type OtlpReceiver,
  type OtlpReceiverOptions,
} from './telemetry.js';
export {
  createSessionMeter,
  ZERO_COUNTS,
  type SessionMeter,
  type SessionMeterOptions,
  type SessionReading,
  type SessionAdvance,
  type SessionUnit,
  type ModelCounts,
} from './session-meter.js';
