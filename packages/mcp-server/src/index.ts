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
export { DASHBOARD_APP_URI } from './app.js';
// The pool mapping `pool_status` returns, so the dashboard's pool cards are the same shape.
export { poolView, routePositions } from './views.js';
