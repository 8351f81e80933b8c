import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderRoute, withDecimalStrings } from '../render/status.js';
import { isZeroConfig, loadFor, withLoadedHub } from '../session.js';
import { CliErrorCodes, cliError } from '../cli-error.js';
import { claudeConfigDirs, readCredentials, renderZeroConfig, zeroConfigView } from '../zero-config/index.js';

export function whichCommand(ctx: CliContext): Command {
  return new Command('which')
    .description('which route entry the next request uses, and why (without a config: which pool tools here draw from)')
    .option('--json', 'print the explanation as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const loaded = await loadFor(ctx, command);
      if (isZeroConfig(loaded)) {
        if (options.json)
          ctx.term.out(
            JSON.stringify(
              { mode: 'zero-config', credentials: readCredentials(ctx.env, claudeConfigDirs(ctx.env)) },
              null,
              2,
            ),
          );
        else
          ctx.term.out(renderZeroConfig(await zeroConfigView({ env: ctx.env, days: 1 }), ctx.term, ['pools', 'next']));
        return;
      }
      await withLoadedHub(ctx, loaded, async (hub) => {
        const status = await hub.status();
        if (!status.route)
          throw cliError(
            CliErrorCodes.INVALID_CONFIG,
            'no route is configured, so nothing decides which pool pays',
            'Add a "route" list to drawdown.config.json.',
          );
        ctx.term.out(
          options.json ? JSON.stringify(withDecimalStrings(status.route), null, 2) : renderRoute(status, ctx.term),
        );
      });
    });
}
