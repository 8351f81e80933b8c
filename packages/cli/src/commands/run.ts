import { Command, Option } from 'commander';
import { formatUsd, toDecimalString, type UsdDisplay } from '@drawdown/core';
import { runMeteredChild, type MeteredChildResult, type MeterSource } from '../agent/child.js';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { displayOf, EXACT_FLAG } from '../render/money.js';
import { withHub } from '../session.js';

/** The line after the child exits: what was charged, and no "$0.00 charged" for a turn that cost nothing. */
function summaryLine(
  metered: NonNullable<MeteredChildResult['metered']>,
  pool: string,
  route: string,
  display: UsdDisplay,
): string | undefined {
  const unit = metered.source === 'telemetry' ? 'API call' : 'turn';
  const plural = (n: number) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (metered.charged > 0)
    return `drawdown: ${plural(metered.charged)} charged ${formatUsd(metered.cost, display)} to ${pool} (route ${route})`;
  if (metered.reported > 0)
    return `drawdown: nothing charged to ${pool}: ${plural(metered.reported)} reported no new spend`;
  return undefined;
}

export function runCommand(ctx: CliContext): Command {
  return new Command('run')
    .description(
      "start a child agent with the environment of a route entry, pass its exit code through, meter its spend (stream-json output, or Claude Code's telemetry when it has the terminal)",
    )
    .requiredOption(
      '--route <entry>',
      'route entry whose strategy shapes the environment and whose pool is charged (e.g. personal)',
    )
    .option('--no-meter', "charge nothing and leave the child's stdout untouched")
    .addOption(
      new Option(
        '--meter-from <source>',
        'where spend is read: auto (telemetry when stdout is a terminal, else stream-json), stream-json (stdout), telemetry (OpenTelemetry events on 127.0.0.1)',
      )
        .choices(['auto', 'stream-json', 'telemetry'])
        .default('auto'),
    )
    .option(...EXACT_FLAG)
    .option('--json', "drawdown's own summary and errors as one JSON line on stderr (stdout stays the child's)")
    .argument('<command...>', 'the command after "--"')
    .addHelpText(
      'after',
      '\nExamples:\n  drawdown run --route personal -- claude                 # interactive: keeps the terminal, metered from telemetry\n  drawdown run --route personal -- claude -p "hello" --output-format stream-json --verbose',
    )
    .action(
      async (
        argv: string[],
        options: { route: string; meter: boolean; meterFrom: MeterSource; exact?: boolean; json?: boolean },
        command: Command,
      ) => {
        if (argv.length === 0)
          throw cliError(
            CliErrorCodes.INVALID_ARGUMENT,
            'no command to run',
            'Put it after "--", e.g. drawdown run --route personal -- claude -p "hi".',
            { argument: 'command' },
          );
        await withHub(ctx, command, async (hub) => {
          const pool = hub.router.entry(options.route).pool.id;
          // The route entry was asked for by name, so it runs; but say so when its pool cannot pay right now.
          const state = await hub.pool(pool).status();
          if (state.state === 'exhausted')
            ctx.term.note(
              `drawdown: note: pool "${pool}" is exhausted (${state.reason ?? state.summary}); the child may be refused`,
            );
          const result = await runMeteredChild({
            hub,
            entry: options.route,
            argv,
            baseEnv: ctx.env,
            meter: options.meter,
            source: options.meterFrom,
            ...(options.meter && { onOutput: (chunk: Buffer) => void process.stdout.write(chunk) }),
            onMeterError: (error) =>
              ctx.term.note(`drawdown: stopped metering: ${error instanceof Error ? error.message : String(error)}`),
          });
          const metered = result.metered;
          if (options.json) {
            ctx.term.note(
              JSON.stringify({
                route: options.route,
                pool,
                exitCode: result.exitCode,
                ...(metered && { source: metered.source }),
                turns: metered?.charged ?? 0,
                reported: metered?.reported ?? 0,
                charged: metered?.cost ?? 0,
                chargedUsd: toDecimalString(metered?.cost ?? 0),
              }),
            );
          } else if (metered) {
            const line = summaryLine(metered, pool, options.route, displayOf(options));
            if (line) ctx.term.note(line);
          }
          ctx.exitCode = result.exitCode;
        });
      },
    );
}
