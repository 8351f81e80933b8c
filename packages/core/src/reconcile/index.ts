export {
  reconcile,
  reconcileOptionProblems,
  driftByPool,
  DEFAULT_REPORTING_LAG_MS,
  DEFAULT_TOLERANCE,
  REPORT_SOURCES,
  type ReportSource,
  type ReconcileOptions,
  type ReconcileResult,
} from './reconcile.js';
export {
  compareUsage,
  ledgerCounts,
  CATEGORY_LABELS,
  TOKEN_CATEGORIES,
  type CategoryDrift,
  type GroupKey,
  type GroupStatus,
  type LedgerCharge,
  type ReconciledGroup,
  type TokenCategory,
  type TokenCounts,
} from './compare.js';
export {
  fetchUsageReport,
  ReconcileErrorCodes,
  BUCKET_WIDTHS,
  type BucketWidth,
  type UsageReport,
  type UsageReportBucket,
  type UsageReportQuery,
  type UsageReportRow,
} from './usage-report.js';
export { reconcileJson } from './json.js';
export { fetchAnalyticsUsage } from './analytics-report.js';
