import { Command } from 'commander';
import { CliErrorCodes, cliError } from '../cli-error.js';
import { DEFAULT_ADMIN_KEY_ENV, reconcileSettings } from '../config/reconcile.js';
import type { DrawdownConfig } from '../config/types.js';
import type { CliContext } from '../context.js';
import { portFlag, wholeNumberFlag } from '../flags.js';
import { untilStopped } from '../until-stopped.js';
import { withHub } from '../session.js';

export const DEFAULT_GATEWAY_PORT = 7755;

/**
 * The scheduled reconcile: `--reconcile-every <minutes>`, else the configuration's
 * `reconcile.everyMinutes`; off when neither is given.
 */
function scheduledReconcile(ctx: CliContext, config: DrawdownConfig, every: string | undefined) {
  const settings = reconcileSettings(config.reconcile, ctx.env);
  if (every !== undefined) {
    const minutes = wholeNumberFlag('reconcile-every', every, { min: 1, unit: 'minutes' }, '15');
    if (!settings)
      throw cliError(
        CliErrorCodes.INVALID_CONFIG,
        '--reconcile-every needs a "reconcile" section in the configuration',
        `Add "reconcile": {"keys": {"<pool>": "apikey_…"}} and export ${DEFAULT_ADMIN_KEY_ENV}.`,
        { argument: 'reconcile-every' },
      );
    return { ...settings, everyMs: minutes * 60_000 };
  }
  return settings?.everyMs !== undefined ? { ...settings, everyMs: settings.everyMs } : undefined;
}

interface GatewayCommandOptions {
  port: string;
  host: string;
  upstream?: string;
  allowRemote?: boolean;
  allowedHost?: string[];
  holdMaxTokens?: string;
  adminBehindTls?: boolean;
  reconcileEvery?: string;
  json?: boolean;
}

export function gatewayCommand(ctx: CliContext): Command {
  return new Command('gateway')
    .description(
      'serve the Anthropic API on 127.0.0.1 for tools that honour ANTHROPIC_BASE_URL, metered by drawdown keys',
    )
    .option('--port <n>', 'port to listen on (0: any free port)', String(DEFAULT_GATEWAY_PORT))
    .option(
      '--host <address>',
      'address to bind; anything but loopback needs --allow-remote and DRAWDOWN_GATEWAY_TOKEN',
      '127.0.0.1',
    )
    .option('--upstream <url>', 'where requests go (default: DRAWDOWN_GATEWAY_UPSTREAM or https://api.anthropic.com)')
    .option('--allow-remote', 'allow a non-loopback --host; every request must then carry x-drawdown-gateway-token')
    .option('--allowed-host <name...>', 'Host header names to accept besides the loopback names')
    .option(
      '--hold-max-tokens <n>',
      'size holds as if max_tokens were at most n (admits Claude Code on small budgets; one longer answer may overrun)',
    )
    .option(
      '--admin-behind-tls',
      'TLS is terminated in front of this gateway: lets the admin API (on with DRAWDOWN_ADMIN_TOKEN) serve a non-loopback --host',
    )
    .option(
      '--reconcile-every <minutes>',
      'compare the ledger with Anthropic\'s usage report this often (needs a "reconcile" section; default: its everyMinutes)',
    )
    .option('--json', 'print {"url","port","upstream"} on stdout once listening (errors as JSON on stderr)')
    .action(async (options: GatewayCommandOptions, command: Command) => {
      const port = portFlag(options.port, DEFAULT_GATEWAY_PORT);
      const upstream = options.upstream ?? ctx.env.DRAWDOWN_GATEWAY_UPSTREAM ?? 'https://api.anthropic.com';
      try {
        new URL(upstream);
      } catch {
        throw cliError(
          CliErrorCodes.INVALID_ARGUMENT,
          `--upstream ${upstream} is not a URL`,
          'Use a base URL such as https://api.anthropic.com.',
          { argument: 'upstream' },
        );
      }
      const holdMaxTokens =
        options.holdMaxTokens === undefined
          ? undefined
          : wholeNumberFlag('hold-max-tokens', options.holdMaxTokens, { min: 1, unit: 'tokens' }, '16000');
      const token = ctx.env.DRAWDOWN_GATEWAY_TOKEN;
      // The admin API (minting keys over HTTP) is on only when its own token is set.
      const adminToken = ctx.env.DRAWDOWN_ADMIN_TOKEN;
      await withHub(ctx, command, async (hub, loaded) => {
        const reconcile = scheduledReconcile(ctx, loaded.config, options.reconcileEvery);
        const { startGateway } = await import('@drawdown/gateway');
        // The dashboard page at /dashboard, read-only, behind the gateway's own guard.
        const configured = reconcileSettings(loaded.config.reconcile, ctx.env);
        const dashboard = (await import('@drawdown/dashboard')).dashboardRoutes(hub, {
          ...(configured && { reconcile: configured }),
        });
        const gateway = await startGateway({
          hub,
          routes: dashboard.routes,
          host: options.host,
          port,
          upstream: { url: upstream },
          ...(options.allowRemote && { allowRemote: true }),
          ...(token !== undefined && token !== '' && { token }),
          ...(holdMaxTokens !== undefined && { holdMaxTokens }),
          ...(adminToken !== undefined &&
            adminToken !== '' && { admin: { token: adminToken, behindTls: options.adminBehindTls === true } }),
          ...(loaded.config.budgets && { budgets: loaded.config.budgets }),
          ...(reconcile && { reconcile }),
          ...(options.allowedHost && { allowedHosts: [...options.allowedHost, 'localhost', '127.0.0.1', '[::1]'] }),
        });
        const stopped = untilStopped();
        if (options.json) ctx.term.out(JSON.stringify({ url: gateway.url, port: gateway.port, upstream }));
        ctx.term.note(`drawdown gateway: listening on ${gateway.url} (upstream ${new URL(upstream).origin})`);
        ctx.term.note(
          `  ANTHROPIC_BASE_URL=${gateway.url} ANTHROPIC_API_KEY=<a key from "drawdown keys create"> <your tool>`,
        );
        ctx.term.note(`  dashboard: ${gateway.url}/dashboard`);
        if (reconcile) {
          ctx.term.note(`  reconcile: every ${reconcile.everyMs / 60_000} min against Anthropic's usage report`);
          if (reconcile.adminKey() === undefined)
            ctx.term.note(`  reconcile skipped until ${reconcile.adminKeyEnv} is set`);
        }
        await stopped;
        ctx.term.note('drawdown gateway: stopping; waiting for open requests to be recorded');
        dashboard.close();
        await gateway.close();
      });
    });
}
