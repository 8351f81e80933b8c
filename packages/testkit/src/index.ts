export { manualClock, type ManualClock } from './clock.js';
