import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { withHub } from '../session.js';

/** Resolves when the client hangs up (stdin ends) or the process is asked to stop. */
function untilDisconnected(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.stdin.off('end', done).off('close', done);
      process.off('SIGINT', done).off('SIGTERM', done);
      resolve();
    };
    process.stdin.once('end', done).once('close', done);
    process.once('SIGINT', done).once('SIGTERM', done);
  });
}

export function mcpCommand(ctx: CliContext): Command {
  return new Command('mcp')
    .description('serve pool status, reports and estimates to MCP clients over stdio (stdout carries protocol only)')
    .option('--writes', 'offer add_funds and set_auto_reload (each asks the user to confirm)')
    .action(async (options: { writes?: boolean }, command: Command) => {
      await withHub(ctx, command, async (hub) => {
        // Loaded on demand: the MCP SDK is the heaviest import, and no other command needs it.
        const { serveStdio } = await import('@drawdown/mcp-server');
        const handle = serveStdio({ hub, ...(options.writes && { writes: true }) });
        ctx.term.note('drawdown mcp: serving over stdio; diagnostics on stderr');
        await untilDisconnected();
        await handle.close();
      });
    });
}
