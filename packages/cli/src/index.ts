// The CLI's public surface: its configuration (`defineConfig` in a drawdown.config.ts), and what an
// app that embeds drawdown's CLI needs: run it, load and check a configuration, open the hub it
// describes, tell its errors apart. Rendering and command internals stay private.
export {
  defineConfig,
  type DrawdownConfig,
  type StoreConfig,
  type StrategyConfig,
  type PoolConfig,
  type RouteEntryConfig,
  type ConfigProblem,
} from './config/types.js';
export { loadConfig, type LoadedConfig } from './config/load.js';
export { validateConfig } from './config/validate.js';
export { openHub } from './hub/open-hub.js';
export { runCli } from './program.js';
export type { CliContext } from './context.js';
export { CliErrorCodes, describeFailure, type CliErrorData } from './cli-error.js';
export { runMeteredChild, type MeteredChildOptions, type MeteredChildResult } from './agent/child.js';
// The demo's stand-in agent, for examples and tests that run the demo scenario's child.
export { demoChildAgent, DEMO_SIGN_IN_VAR, DEMO_CHILD_MODEL } from './demo/child-agent.js';
// The zero-config view (Claude Code's own usage, no configuration needed), for other front ends.
export {
  zeroConfigView,
  zeroConfigJson,
  renderZeroConfig,
  type ZeroConfigView,
  type ClaudeCodeUsage,
  type CredentialView,
} from './zero-config/index.js';
