import type { Hub, Logger } from '@drawdown/core';
import type { McpServer } from '@modelcontextprotocol/server';

/** The MCP App showing the dashboard; `pool_status` links to it when one is given. */
export const DASHBOARD_APP_URI = 'ui://drawdown/dashboard';

/**
 * The page a host renders beside `pool_status`. `@drawdown/dashboard` provides it (`dashboardApp`);
 * it is handed in rather than imported, so this package does not depend on the dashboard, which
 * builds its cards from this package's views.
 */
export interface DashboardApp {
  /** What the page shows, read when a host reads the app. */
  read(hub: Hub): Promise<unknown>;
  /** The self-contained page (scripts and styles inlined), carrying `snapshot` when it was read. */
  html(snapshot: unknown): Promise<string>;
}

// The MCP Apps extension's names (`@modelcontextprotocol/ext-apps`: RESOURCE_MIME_TYPE,
// RESOURCE_URI_META_KEY); the tests check them against that package.
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
 * carries the snapshot at read time; inside the host it refreshes through the App bridge by
 * calling `pool_status` and `which_pool`.
 */
export function registerDashboardApp(server: McpServer, hub: Hub, app: DashboardApp, logger: Logger): void {
  server.registerResource(
    'dashboard',
    DASHBOARD_APP_URI,
    {
      title: 'drawdown dashboard',
      description: 'Pools, route, spend, recent requests and alerts, as an interactive view.',
      mimeType: RESOURCE_MIME_TYPE,
    },
    async (uri) => {
      // A ledger that cannot be read still gets the page, which then fills itself from pool_status.
      const snapshot = await app.read(hub).catch((error: unknown) => {
        logger.warn(
          `dashboard app: reading the ledger failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        return undefined;
      });
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: RESOURCE_MIME_TYPE,
            text: await app.html(snapshot),
            _meta: { ui: { prefersBorder: true, csp: { connectDomains: [], resourceDomains: [] } } },
          },
        ],
      };
    },
  );
}
