import type { Hub, Logger } from '@drawdown/core';
import { importOptional } from '@drawdown/core/internal';
import type { McpServer } from '@modelcontextprotocol/server';

/** The MCP App showing the dashboard; `pool_status` links to it. */
export const DASHBOARD_APP_URI = 'ui://drawdown/dashboard';

/** What `@drawdown/dashboard` offers; named here so this package needs it only when the app is read. */
interface DashboardModule {
  readDashboard(hub: Hub): Promise<unknown>;
  dashboardAppHtml(options: { snapshot?: unknown }): Promise<string>;
}

const DASHBOARD_PACKAGE = '@drawdown/dashboard';
// The MCP Apps extension's names (`@modelcontextprotocol/ext-apps`: RESOURCE_MIME_TYPE,
// RESOURCE_URI_META_KEY); the dashboard's tests check them against that package.
const RESOURCE_MIME_TYPE = 'text/html;profile=mcp-app';
const RESOURCE_URI_META_KEY = 'ui/resourceUri';

/**
 * `_meta` for `pool_status`: hosts that render MCP Apps show the dashboard inline next to the
 * structured result; the others ignore it. Both spellings ext-apps defines: `ui.resourceUri` and
 * the older flat `ui/resourceUri` key that earlier hosts read.
 */
export const poolStatusAppMeta = { ui: { resourceUri: DASHBOARD_APP_URI }, [RESOURCE_URI_META_KEY]: DASHBOARD_APP_URI };

/**
 * Registers the app's HTML as a `ui://` resource (mime type `text/html;profile=mcp-app`). The page
 * is self-contained (scripts and styles inlined) and carries the snapshot at read time; inside the
 * host it refreshes through the App bridge by calling `pool_status` and `which_pool`.
 */
export function registerDashboardApp(server: McpServer, hub: Hub, logger: Logger): void {
  server.registerResource(
    'dashboard',
    DASHBOARD_APP_URI,
    {
      title: 'drawdown dashboard',
      description: 'Pools, route, spend, recent requests and alerts, as an interactive view.',
      mimeType: RESOURCE_MIME_TYPE,
    },
    async (uri) => {
      // A variable specifier: the dashboard is an optional peer, loaded when a host asks for the app.
      const name = DASHBOARD_PACKAGE;
      const dashboard = await importOptional<DashboardModule>(
        name,
        'latest',
        'the pool_status MCP App',
        () => import(name) as Promise<DashboardModule>,
      );
      const snapshot = await dashboard.readDashboard(hub).catch((error: unknown) => {
        logger.warn(
          `dashboard app: reading the ledger failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        return undefined;
      });
      const text = await dashboard.dashboardAppHtml(snapshot === undefined ? {} : { snapshot });
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: RESOURCE_MIME_TYPE,
            text,
            _meta: { ui: { prefersBorder: true, csp: { connectDomains: [], resourceDomains: [] } } },
          },
        ],
      };
    },
  );
}
