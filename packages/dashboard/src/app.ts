import type { DashboardApp } from '@drawdown/mcp-server';
import { dashboardAppHtml } from './page.js';
import { readDashboard, type DashboardSnapshot } from './snapshot.js';

/**
 * The dashboard as the MCP App beside `pool_status`: give it to the MCP server
 * (`createDrawdownMcpServer({ hub, dashboardApp })`, `serveStdio`, `serveHttp`), which serves it
 * at `ui://drawdown/dashboard` with the snapshot read when a host opens it.
 */
export const dashboardApp: DashboardApp = {
  read: (hub) => readDashboard(hub),
  html: (snapshot) => dashboardAppHtml(snapshot === undefined ? {} : { snapshot: snapshot as DashboardSnapshot }),
};
