import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { describeStore } from '../hub/store.js';
import { renderStatus, withDecimalStrings } from '../render/status.js';
import { withHub } from '../session.js';

export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description('every pool: usage bar, balance, caps, reset times and the active route entry')
    .option('--json', 'print JSON with exact decimal strings')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withHub(ctx, command, async (hub, loaded) => {
        const status = await hub.status();
        ctx.term.out(options.json ? JSON.stringify(withDecimalStrings(status), null, 2) : renderStatus(status, ctx.term, describeStore(loaded.config.store)));
      });
    });
}
