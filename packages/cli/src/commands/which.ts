import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderRoute, withDecimalStrings } from '../render/status.js';
import { withHub } from '../session.js';
import { CliErrorCodes, cliError } from '../cli-error.js';

export function whichCommand(ctx: CliContext): Command {
  return new Command('which')
    .description("which route entry the next request uses, and why (the router's explanation)")
    .option('--json', 'print the explanation as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        const status = await hub.status();
        if (!status.route) throw cliError(CliErrorCodes.INVALID_CONFIG, 'no route is configured, so nothing decides which pool pays', 'Add a "route" list to drawdown.config.json.');
        ctx.term.out(options.json ? JSON.stringify(withDecimalStrings(status.route), null, 2) : renderRoute(status, ctx.term));
      });
    });
}
