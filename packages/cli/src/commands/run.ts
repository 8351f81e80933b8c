import { Command } from 'commander';
import { formatUsd } from '@drawdown/core';
import { runMeteredChild } from '../agent/child.js';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { withHub } from '../session.js';

export function runCommand(ctx: CliContext): Command {
  return new Command('run')
    .description('start a child agent with the environment of a route entry, pass its exit code through, meter its Agent SDK stream-json output')
    .requiredOption('--route <entry>', 'route entry whose strategy shapes the environment and whose pool is charged (e.g. personal)')
    .option('--no-meter', "leave the child's stdout untouched (it is not stream-json)")
    .argument('<command...>', 'the command after "--"')
    .addHelpText('after', '\nExample:\n  drawdown run --route personal -- claude -p "hello" --output-format stream-json --verbose')
    .action(async (argv: string[], options: { route: string; meter: boolean }, command: Command) => {
      if (argv.length === 0) throw cliError(CliErrorCodes.INVALID_ARGUMENT, 'no command to run', 'Put it after "--", e.g. drawdown run --route personal -- claude -p "hi".', { argument: 'command' });
      await withHub(ctx, command, async (hub) => {
        const pool = hub.router.entry(options.route).pool.id;
        // The route entry was asked for by name, so it runs; but say so when its pool cannot pay right now.
        const state = await hub.pool(pool).status();
        if (state.state === 'exhausted') ctx.term.note(`drawdown: note: pool "${pool}" is exhausted (${state.reason ?? state.summary}); the child may be refused`);
        const result = await runMeteredChild({
          hub,
          entry: options.route,
          argv,
          baseEnv: ctx.env,
          meter: options.meter,
          ...(options.meter && { onOutput: (chunk: Buffer) => void process.stdout.write(chunk) }),
          onMeterError: (error) => ctx.term.note(`drawdown: stopped metering: ${error instanceof Error ? error.message : String(error)}`),
        });
        if (result.summary && result.summary.turns > 0) {
          ctx.term.note(`drawdown: ${result.summary.turns} turn${result.summary.turns === 1 ? '' : 's'} charged ${formatUsd(result.summary.charged)} to ${pool} (route ${options.route})`);
        }
        ctx.exitCode = result.exitCode;
      });
    });
}
