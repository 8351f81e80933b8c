export {
  drawdownMetrics,
  recordReconcileDrift,
  RECONCILE_DRIFT_STATE_KEY,
  type DrawdownMetrics,
  type MetricsOptions,
  type ReconcileDrift,
  type RefusalReason,
} from './metrics.js';
