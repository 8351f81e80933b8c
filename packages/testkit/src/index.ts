export { manualClock, type ManualClock } from './clock.js';
export * from './anthropic-server/index.js';
