export {
  assumedRate,
  burnRate,
  rateEvidence,
  RATE_WINDOWS,
  LOOKBACK_MS,
  type BurnRate,
  type RateWindow,
  type SpendPoint,
} from './burn-rate.js';
export { forecastPool, formatDuration, type PoolForecast, type ForecastInput } from './forecast.js';
export { forecastPools, spendHistory } from './read.js';
