export { manualClock, type ManualClock } from './clock.js';
export * from './anthropic-server/index.js';
export { parseServeArgs, serve, ServeUsageError, type ServePlan } from './serve.js';
export { claudeCodeEnv, type ClaudeCodeEnvOptions } from './claude-code.js';
export {
  assertConserved,
  checkConservation,
  type ConservationInput,
  type ConservationReport,
  type LedgerCharge,
  type PricedBill,
} from './conservation.js';
