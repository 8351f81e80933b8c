export { startDashboard, type Dashboard, type DashboardOptions } from './server.js';
export { createDashboardHandler, type DashboardHandler, type DashboardHandlerOptions } from './handler.js';
export { dashboardRoutes, type DashboardRoute } from './routes.js';
export {
  readDashboard,
  type DashboardSnapshot,
  type PoolCard,
  type RouteCard,
  type SpendSeries,
  type RecentRequest,
  type SnapshotOptions,
} from './snapshot.js';
export { createAlertLog, type AlertLog, type AlertView } from './alerts.js';
export type { ObservedSource, ObservedCard } from './observed.js';
export type { ReconcileCard } from './reconcile.js';
export type { SpendForecast } from './forecast.js';
export { dashboardPage, dashboardAppHtml } from './page.js';
export { dashboardApp } from './app.js';
export { dashboardWrites, WRITE_TOOLS, type DashboardWrites, type WriteTool, type WriteOutcome } from './writes.js';
export { DashboardErrorCodes, type DashboardErrorCode } from './errors.js';
