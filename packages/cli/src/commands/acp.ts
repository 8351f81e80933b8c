import { Command } from 'commander';
import { formatUsd } from '@drawdown/core';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { displayOf, EXACT_FLAG } from '../render/money.js';
import { withHub } from '../session.js';

export function acpCommand(ctx: CliContext): Command {
  return new Command('acp')
    .description(
      'run an ACP agent between an ACP client (on stdin/stdout) and the agent, forwarding every message unchanged, metering every call to a route entry and refusing prompts it cannot pay for',
    )
    .requiredOption(
      '--route <entry>',
      "route entry whose strategy shapes the agent's environment and whose pool is charged (e.g. trial)",
    )
    .option('--hold <usd>', 'amount each prompt must hold to be sent on (a prompt that cannot is refused)', '0.01')
    .option(...EXACT_FLAG)
    .option(
      '--json',
      'print the closing summary (and errors) as one JSON object on stderr; stdout carries only the protocol',
    )
    .argument('<command...>', 'the agent command after "--"')
    .addHelpText(
      'after',
      "\nExample (in an ACP client's agent settings):\n  drawdown acp --route trial -- npx @agentclientprotocol/claude-agent-acp",
    )
    .action(
      async (
        argv: string[],
        options: { route: string; hold: string; exact?: boolean; json?: boolean },
        command: Command,
      ) => {
        if (argv.length === 0)
          throw cliError(
            CliErrorCodes.INVALID_ARGUMENT,
            'no agent command to run',
            'Put it after "--", e.g. drawdown acp --route trial -- claude-agent-acp.',
            { argument: 'command' },
          );
        // Loaded on demand: only this command needs the ACP package.
        const { runAcpProxy } = await import('@drawdown/acp');
        await withHub(ctx, command, async (hub) => {
          const pool = hub.router.entry(options.route).pool.id;
          const state = await hub.pool(pool).status();
          if (state.state === 'exhausted')
            ctx.term.note(
              `drawdown acp: note: pool "${pool}" is exhausted (${state.reason ?? state.summary}); prompts are refused until it has room`,
            );
          // Everything but the protocol goes to stderr: the client reads stdout.
          const result = await runAcpProxy({
            hub,
            entry: options.route,
            command: argv,
            env: ctx.env,
            cwd: ctx.cwd,
            holdPerPrompt: options.hold,
            log: (line) => ctx.term.note(line),
            onError: (error) =>
              ctx.term.note(`drawdown acp: metering failed: ${error instanceof Error ? error.message : String(error)}`),
          });
          const summary = {
            route: options.route,
            pool,
            prompts: result.prompts,
            chargedUsd: result.chargedUsd,
            interrupted: result.interrupted,
            exitCode: result.exitCode,
          };
          if (options.json) ctx.term.note(JSON.stringify(summary));
          else if (result.prompts > 0) {
            ctx.term.note(
              `drawdown acp: ${result.prompts} prompt${result.prompts === 1 ? '' : 's'}, ${formatUsd(result.charged, displayOf(options))} charged to ${pool} (route ${options.route})`,
            );
          }
          ctx.exitCode = result.exitCode;
        });
      },
    );
}
