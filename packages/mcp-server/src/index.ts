export { createDrawdownMcpServer, type DrawdownMcpServerOptions } from './server.js';
export type { ReconcileSettings } from './tools/reconcile.js';
export type { ForecastView } from './forecast-view.js';
export { serveStdio, type ServeStdioOptions, type StdioHandle } from './stdio.js';
export { McpErrorCodes, type McpErrorCode } from './errors.js';
export { POOLS_URI, POOL_URI_TEMPLATE, poolUri } from './uris.js';
export type {
  PoolView,
  PoolsView,
  RouteView,
  EntryView,
  LimitView,
  AutoReloadView,
  RoutePositionView,
} from './schemas.js';
export { serveHttp, type ServeHttpOptions, type HttpHandle } from './http.js';
export { setupProblemText, type SetupProblem } from './setup-problem.js';
export { DASHBOARD_APP_URI, type DashboardApp } from './app.js';
// The pool and route mappings `pool_status` and `which_pool` return, so the dashboard's cards are the same shapes.
export { poolView, routePositions, routeView } from './views.js';
