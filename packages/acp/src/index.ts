export {
  createAcpTap,
  type AcpTap,
  type AcpTapOptions,
  type AcpCharge,
  type AcpTapSummary,
  type AcpAdmission,
} from './tap.js';
export { tapStream, type MessageStream } from './stream.js';
export { runAcpProxy, type AcpProxyOptions, type AcpProxyResult } from './proxy.js';
export { jsonLineReader } from './lines.js';
export { AcpErrorCodes, type AcpErrorCode } from './errors.js';
export {
  turnTokens,
  RATE_LIMIT_META,
  MODEL_META,
  type TurnTokens,
  type UsageUpdate,
  type JsonRpcMessage,
} from './wire.js';
