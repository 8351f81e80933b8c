import { invalidOption, silentLogger, type Hub, type Logger, type RateCard } from '@drawdown/core';
import { McpServer, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { registerDashboardApp, type DashboardApp } from './app.js';
import { watchPoolResources } from './live-updates.js';
import { withPortableSchemas } from './portable-schema.js';
import { scrubberFor } from './read-model.js';
import { isPoolResource, registerPoolResources } from './resources.js';
import {
  answeringWithProblem,
  registerLocalUsage,
  registerProblemResource,
  setupProblemText,
  type SetupProblem,
} from './setup-problem.js';
import { registerAddFunds } from './tools/add-funds.js';
import { pricingOf, type ToolContext } from './tools/context.js';
import { registerEstimateCost } from './tools/estimate-cost.js';
import { registerPoolStatus } from './tools/pool-status.js';
import { registerRateCard } from './tools/rate-card.js';
import { registerReconcile, type ReconcileSettings } from './tools/reconcile.js';
import { registerSetAutoReload } from './tools/set-auto-reload.js';
import { registerUsageReport } from './tools/usage-report.js';
import { registerWhichPool } from './tools/which-pool.js';

export interface DrawdownMcpServerOptions {
  /** The hub to serve. Give either this or `setupProblem`. */
  hub?: Hub;
  /**
   * Serve without a hub: `initialize` and `tools/list` work, and every tool answers with this
   * problem and its fix. For a host whose configuration or ledger could not be opened.
   */
  setupProblem?: SetupProblem;
  /** Where diagnostics go. Default: the hub's logger, or stderr when there is no hub. */
  logger?: Logger;
  /** Offer `add_funds` and `set_auto_reload` (each still asks the user to confirm). Default false: they do not exist. */
  writes?: boolean;
  /** Offer `reconcile` (the ledger against Anthropic's usage report) with these settings. Default: no such tool. */
  reconcile?: ReconcileSettings;
  /**
   * Offer `local_usage` beside the hub: spend the host observed outside the ledger (Claude Code's
   * own session logs), with the requests the ledger already metered left out. Observed, not enforced.
   */
  localUsage?: SetupProblem['localUsage'];
  /**
   * Offer the dashboard as an MCP App beside `pool_status` (`@drawdown/dashboard`'s `dashboardApp`).
   * Default: no app, and `pool_status` links to none.
   */
  dashboardApp?: DashboardApp;
  /** Server name clients show. Default `drawdown`. */
  name?: string;
  version?: string;
}

/** Internal knobs of the serving entries. */
export interface InstanceOptions {
  /**
   * Push `resources/updated` from this instance. Off for per-request HTTP instances, whose updates
   * go out through the handler's listen bus instead.
   */
  live?: boolean;
}

const MODERN_ERA_FROM = '2026-07-28';

const INSTRUCTIONS =
  'drawdown decides which pool pays for each Claude request (plan allowance, trial budget, credits, API key) and meters exact cost. ' +
  'Use pool_status for balances, which_pool for who pays next and why, estimate_cost before large requests, usage_report for past spend, rate_card for prices. ' +
  'All money is exact decimal USD strings.';

/**
 * Builds the MCP server for a hub: read-only tools, pool resources with live updates, and (when
 * `writes` is on) the confirmed write tools. One instance serves one connection; the serving
 * entries (`serveStdio`, `serveHttp`) call this per connection, and so can a host of its own.
 */
export function createDrawdownMcpServer(options: DrawdownMcpServerOptions, instance: InstanceOptions = {}): McpServer {
  const { hub, setupProblem } = checkServed(options);
  if (setupProblem) return createProblemServer(options, setupProblem);
  const server = new McpServer(
    { name: options.name ?? 'drawdown', version: options.version ?? '0.0.0' },
    { capabilities: { tools: {}, resources: { subscribe: true, listChanged: true } }, instructions: INSTRUCTIONS },
  );
  const scrub = scrubberFor(hub);
  const context: ToolContext = { hub, scrub, logger: hub.logger };
  const tools = withPortableSchemas(server);
  registerPoolStatus(tools, context, { withApp: options.dashboardApp !== undefined });
  registerUsageReport(tools, context);
  registerEstimateCost(tools, pricingOf(context));
  registerWhichPool(tools, context);
  registerRateCard(tools, pricingOf(context));
  if (options.reconcile) registerReconcile(tools, context, options.reconcile);
  if (options.writes === true) {
    registerAddFunds(tools, context);
    registerSetAutoReload(tools, context);
  }
  if (options.localUsage) registerLocalUsage(tools, options.localUsage);
  registerPoolResources(server, hub, scrub);
  if (options.dashboardApp) registerDashboardApp(server, hub, options.dashboardApp, hub.logger);
  if (instance.live !== false) wireLiveUpdates(server, hub);
  return server;
}

/** Exactly one of `hub` and `setupProblem`. */
export function checkServed(
  options: DrawdownMcpServerOptions,
): { hub: Hub; setupProblem?: undefined } | { hub?: undefined; setupProblem: SetupProblem } {
  if (options.hub && options.setupProblem)
    throw invalidOption(
      'createDrawdownMcpServer',
      'setupProblem',
      'is given together with hub',
      'Give hub to serve it, or setupProblem when there is no hub to serve.',
    );
  if (options.hub) return { hub: options.hub };
  if (options.setupProblem) return { setupProblem: options.setupProblem };
  throw invalidOption(
    'createDrawdownMcpServer',
    'hub',
    'is missing',
    'Give the hub to serve (or setupProblem, saying why there is none).',
  );
}

/** The same tools, each answering with the problem; the instructions say it up front. */
function createProblemServer(options: DrawdownMcpServerOptions, problem: SetupProblem): McpServer {
  const server = new McpServer(
    { name: options.name ?? 'drawdown', version: options.version ?? '0.0.0' },
    { capabilities: { tools: {}, resources: {} }, instructions: `${INSTRUCTIONS}\n${setupProblemText(problem)}` },
  );
  const tools = withPortableSchemas(server);
  const answering = answeringWithProblem(tools, problem);
  const scrub = (text: string): string => text;
  const logger = options.logger ?? silentLogger;
  // The registrations read nothing from the hub until a tool runs, and these tools never run.
  const context = { hub: undefined as unknown as Hub, scrub, logger };
  registerPoolStatus(answering, context);
  registerUsageReport(answering, context);
  // Prices need no hub: with a sound rate card they answer for real; otherwise with the problem.
  const pricing = problem.rateCard
    ? { server: tools, context: { rateCard: problem.rateCard, now: Date.now, scrub, logger } }
    : { server: answering, context: { rateCard: undefined as unknown as RateCard, now: Date.now, scrub, logger } };
  registerEstimateCost(pricing.server, pricing.context);
  registerWhichPool(answering, context);
  registerRateCard(pricing.server, pricing.context);
  if (options.writes === true) {
    registerAddFunds(answering, context);
    registerSetAutoReload(answering, context);
  }
  if (problem.localUsage) registerLocalUsage(tools, problem.localUsage);
  registerProblemResource(server, problem);
  return server;
}

/**
 * 2025-era clients subscribe per resource and get `resources/updated` only for what they asked for;
 * on 2026-07-28 connections the serving entry routes every update onto the client's listen stream,
 * filtered by the resources that stream asked for.
 */
function wireLiveUpdates(server: McpServer, hub: Hub): void {
  const subscribed = new Set<string>();
  server.server.setRequestHandler('resources/subscribe', (request) => {
    const { uri } = request.params;
    if (!isPoolResource(hub, uri))
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `no resource "${uri}" to subscribe to; use drawdown://pools or drawdown://pools/{id}`,
      );
    subscribed.add(uri);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });
  const modern = (): boolean => (server.server.getNegotiatedProtocolVersion() ?? '') >= MODERN_ERA_FROM;
  const stop = watchPoolResources(hub, (uris) => {
    if (!server.isConnected()) return;
    for (const uri of uris) {
      if (!modern() && !subscribed.has(uri)) continue;
      server.server
        .sendResourceUpdated({ uri })
        .catch((error: unknown) => hub.logger.debug(`resources/updated for ${uri} not sent: ${String(error)}`));
    }
  });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    stop();
    previous?.();
  };
}
