import { spawn } from 'node:child_process';
import { Command } from 'commander';
import type { Hub } from '@drawdown/core';
import { CliErrorCodes, cliError } from '../cli-error.js';
import { reconcileSettings } from '../config/reconcile.js';
import type { CliContext } from '../context.js';
import { portFlag, wholeNumberFlag } from '../flags.js';
import { isZeroConfig, loadFor, withLoadedHub } from '../session.js';
import { untilStopped } from '../until-stopped.js';
import { localTimeZone, readObserved } from '../zero-config/index.js';

export const DEFAULT_DASHBOARD_PORT = 7756;

/** Opens `url` in the desktop's browser; a failure only prints the address (it is printed anyway). */
function openInBrowser(url: string, ctx: CliContext): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () =>
    ctx.term.note(`drawdown dashboard: could not start a browser (${command}); open ${url} yourself`),
  );
  child.unref();
}

interface DashboardCommandOptions {
  port: string;
  host: string;
  token?: string;
  open?: boolean;
  writes?: boolean;
  days: string;
  json?: boolean;
}

export function dashboardCommand(ctx: CliContext): Command {
  return new Command('dashboard')
    .description(
      "serve a live page of the pools, the route, spend, recent requests and alerts on 127.0.0.1 (without a config: Claude Code's spend here)",
    )
    .option('--port <n>', 'port to listen on (0: any free port)', String(DEFAULT_DASHBOARD_PORT))
    .option('--host <address>', 'address to bind; anything but loopback needs --token', '127.0.0.1')
    .option(
      '--token <secret>',
      'secret (16+ characters) the browser must present, once, as ?token= (default: DRAWDOWN_DASHBOARD_TOKEN)',
    )
    .option('--open', 'open the page in the default browser')
    .option(
      '--writes',
      'offer add funds and auto-reload on the page; each asks for confirmation like the MCP write tools',
    )
    .option('--days <n>', 'days of spend history in the chart', '14')
    .option('--json', 'print {"url","port","writes","mode"} on stdout once listening (errors as JSON on stderr)')
    .action(async (options: DashboardCommandOptions, command: Command) => {
      const port = portFlag(options.port, DEFAULT_DASHBOARD_PORT);
      const days = wholeNumberFlag('days', options.days, { min: 1, max: 366 }, '30');
      const token = options.token ?? (ctx.env.DRAWDOWN_DASHBOARD_TOKEN || undefined);
      const loaded = await loadFor(ctx, command);
      const serve = async (hub: Hub | undefined, timeZone: string): Promise<void> => {
        const { startDashboard } = await import('@drawdown/dashboard');
        const reconcile = hub && reconcileSettings(loaded.config.reconcile, ctx.env);
        const dashboard = await startDashboard({
          ...(hub ? { hub } : { timeZone }),
          // Claude Code's own spend beside the pools (or alone, with no configuration): observed, not enforced.
          observed: (range) => readObserved(ctx.env, range, hub?.store),
          host: options.host,
          port,
          days,
          ...(token !== undefined && { token }),
          ...(options.writes && hub && { writes: true }),
          ...(reconcile && { reconcile }),
        });
        const stopped = untilStopped();
        // With a token the browser is handed it once in the address; the page then keeps it in a cookie.
        const address = token === undefined ? dashboard.url : `${dashboard.url}?token=${encodeURIComponent(token)}`;
        if (options.json)
          ctx.term.out(
            JSON.stringify({
              url: dashboard.url,
              port: dashboard.port,
              writes: options.writes === true && hub !== undefined,
              mode: hub ? 'configured' : 'zero-config',
            }),
          );
        ctx.term.note(
          hub
            ? `drawdown dashboard: ${address}${options.writes ? '' : ' (read-only; --writes to add funds from the page)'}`
            : `drawdown dashboard: ${address} (no configuration: Claude Code's spend on this machine, observed)`,
        );
        if (options.open) openInBrowser(address, ctx);
        await stopped;
        ctx.term.note('drawdown dashboard: stopping');
        await dashboard.close();
      };
      if (isZeroConfig(loaded) && !ctx.env.DRAWDOWN_DB) {
        if (options.writes)
          throw cliError(
            CliErrorCodes.UNAVAILABLE,
            '--writes needs a credits pool, and no drawdown configuration was found',
            'Start without --writes to see Claude Code\'s spend, or create pools with "drawdown config init".',
            { argument: 'writes' },
          );
        await serve(undefined, localTimeZone(ctx.env));
        return;
      }
      await withLoadedHub(ctx, loaded, (hub) => serve(hub, hub.timeZone), { ledgerOnly: isZeroConfig(loaded) });
    });
}
