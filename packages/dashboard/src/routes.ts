import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '@drawdown/core';
import { createDashboardHandler, notFound } from './handler.js';
import { dashboardWrites } from './writes.js';
import type { ReconcileSettings } from '@drawdown/mcp-server';

/** The shape of `@drawdown/gateway`'s extra routes, repeated here so the dashboard does not depend on the gateway. */
export interface DashboardRoute {
  method: string;
  path: string | RegExp;
  auth?: 'none' | 'key';
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * The dashboard as extra routes for `startGateway({ routes })`, under `base` (default
 * `/dashboard`), behind the gateway's own Host/Origin/token guard. Read-only unless `writes`.
 */
export function dashboardRoutes(
  hub: Hub,
  options: { base?: string; writes?: boolean; reconcile?: ReconcileSettings } = {},
): { routes: DashboardRoute[]; close(): void } {
  const base = (options.base ?? '/dashboard').replace(/\/+$/, '');
  const handler = createDashboardHandler(hub, {
    base,
    ...(options.writes === true && { writes: dashboardWrites(hub) }),
    ...(options.reconcile && { reconcile: options.reconcile }),
  });
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const path = new RegExp(`^${escaped}(/.*)?$`);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!(await handler.handle(req, res))) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(notFound((req.url ?? '/').split('?')[0]!)));
    }
  };
  return {
    routes: [
      { method: 'GET', path, handle },
      { method: 'POST', path, handle },
    ],
    close: () => handler.close(),
  };
}
