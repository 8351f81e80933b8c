import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { createAgentSdkMeter, formatUsd, meterAgentOutput, type Hub } from '@drawdown/core';
import { constants } from 'node:os';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { withHub } from '../session.js';

/** Passes every chunk on to our stdout as it arrives, so the person sees the agent live while it is metered. */
async function* tee(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    process.stdout.write(chunk);
    yield chunk;
  }
}

/** Drains what is left of a stream to stdout (after metering stopped). */
async function passThrough(source: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of source) process.stdout.write(chunk);
}

async function runChild(ctx: CliContext, hub: Hub, entry: string, argv: string[], meter: boolean): Promise<number> {
  const routeEntry = hub.router.entry(entry);
  const env = hub.childEnv(entry, ctx.env);
  const [command, ...args] = argv as [string, ...string[]];
  const child = spawn(command, args, { env: env as NodeJS.ProcessEnv, stdio: ['inherit', meter ? 'pipe' : 'inherit', 'inherit'] });
  const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt).on('SIGTERM', onTerm);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        cliError(
          CliErrorCodes.SPAWN_FAILED,
          `cannot start "${command}": ${error.code === 'ENOENT' ? 'no such program on PATH' : error.message}`,
          'Check the command after "--"; drawdown runs it directly, not through a shell.',
          { command },
          error,
        ),
      ),
    );
    // A child killed by a signal exits like a shell reports it: 128 + the signal's number.
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
  try {
    if (meter && child.stdout) {
      const stdout = child.stdout;
      const metering = (async () => {
        const agentMeter = createAgentSdkMeter({ hub, entry });
        try {
          const summary = await meterAgentOutput(tee(stdout), agentMeter);
          if (summary.turns > 0) ctx.term.note(`drawdown: ${summary.turns} turn${summary.turns === 1 ? '' : 's'} charged ${formatUsd(summary.charged)} to ${routeEntry.pool.id} (route ${entry})`);
        } catch (error) {
          // Metering must never cost the person the agent's output: say what failed, keep passing it on.
          ctx.term.note(`drawdown: stopped metering: ${error instanceof Error ? error.message : String(error)}`);
          await passThrough(stdout);
        }
      })();
      const [code] = await Promise.all([exited, metering]);
      return code;
    }
    return await exited;
  } finally {
    process.off('SIGINT', onInt).off('SIGTERM', onTerm);
  }
}

export function runCommand(ctx: CliContext): Command {
  return new Command('run')
    .description('start a child agent with the environment of a route entry, pass its exit code through, meter its Agent SDK stream-json output')
    .requiredOption('--route <entry>', 'route entry whose strategy shapes the environment and whose pool is charged (e.g. personal)')
    .option('--no-meter', "leave the child's stdout untouched (it is not stream-json)")
    .argument('<command...>', 'the command after "--", e.g. -- claude -p "hi" --output-format stream-json --verbose')
    .addHelpText('after', '\nExample:\n  drawdown run --route personal -- claude -p "hello" --output-format stream-json --verbose')
    .action(async (argv: string[], options: { route: string; meter: boolean }, command: Command) => {
      if (argv.length === 0) throw cliError(CliErrorCodes.INVALID_ARGUMENT, 'no command to run', 'Put it after "--", e.g. drawdown run --route personal -- claude -p "hi".', { argument: 'command' });
      await withHub(ctx, command, async (hub) => {
        ctx.exitCode = await runChild(ctx, hub, options.route, argv, options.meter);
      });
    });
}
