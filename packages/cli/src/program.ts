import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { CliErrorCodes, describeFailure, errorJson } from './cli-error.js';
import { configCommand } from './commands/config.js';
import { dashboardCommand } from './commands/dashboard.js';
import { demoAgentCommand, demoCommand } from './commands/demo.js';
import { estimateCommand } from './commands/estimate.js';
import { gatewayCommand } from './commands/gateway.js';
import { keysCommand } from './commands/keys.js';
import { loginCommand, logoutCommand } from './commands/login.js';
import { mcpCommand } from './commands/mcp.js';
import { acpCommand } from './commands/acp.js';
import { ratesCommand } from './commands/rates.js';
import { reconcileCommand } from './commands/reconcile.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { whichCommand } from './commands/which.js';
import type { CliContext } from './context.js';
import { processTerminal } from './render/terminal.js';

/** Builds the `drawdown` program; one file per command under `commands/`. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('drawdown')
    .description('Decide which pool pays for each Claude request, meter what it cost, and show where the money stands.')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.term.out(text.trimEnd()),
      writeErr: (text) => ctx.term.note(text.trimEnd()),
      // Commander's message (and its "Did you mean" line) becomes one line, then the hint; under --json, one JSON object.
      outputError: (text, write) => {
        const message = text
          .replace(/^error: /, '')
          .trim()
          .split('\n')
          .join(' ');
        const hint = 'run "drawdown --help" or "drawdown <command> --help".';
        write(
          ctx.json
            ? JSON.stringify({ code: CliErrorCodes.INVALID_ARGUMENT, message, hint })
            : `drawdown: ${message}\nhint: ${hint}`,
        );
      },
    });
  program.version(
    (createRequire(import.meta.url)('../package.json') as { version: string }).version,
    '-V, --version',
    'print the drawdown version',
  );
  program.option(
    '-c, --config <file>',
    'configuration file (default: nearest drawdown.config.{ts,json}, then the user config directory; or DRAWDOWN_CONFIG)',
  );
  // One line per command, in the order `--help` lists them.
  const commands = [
    statusCommand,
    reportCommand,
    reconcileCommand,
    whichCommand,
    estimateCommand,
    ratesCommand,
    runCommand,
    acpCommand,
    loginCommand,
    logoutCommand,
    mcpCommand,
    gatewayCommand,
    dashboardCommand,
    keysCommand,
    configCommand,
    demoCommand,
  ];
  for (const make of commands) program.addCommand(make(ctx));
  program.addCommand(demoAgentCommand(ctx), { hidden: true });
  // Subcommands inherit the error handling so a bad flag anywhere exits the same way.
  const inherit = (parent: Command): void => {
    for (const command of parent.commands) {
      command.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
      inherit(command);
    }
  };
  inherit(program);
  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(
  args: string[],
  ctx: CliContext = { term: processTerminal(), env: process.env, cwd: process.cwd() },
): Promise<number> {
  // Errors follow the output format asked for: --json anywhere before "--" makes them JSON too.
  const dashDash = args.indexOf('--');
  ctx.json ??= (dashDash === -1 ? args : args.slice(0, dashDash)).includes('--json');
  const program = createProgram(ctx);
  try {
    await program.parseAsync(args, { from: 'user' });
    return ctx.exitCode ?? 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (ctx.json) ctx.term.note(JSON.stringify(errorJson(error)));
    else {
      const { line, hint } = describeFailure(error);
      ctx.term.note(line);
      if (hint !== undefined) ctx.term.note(`hint: ${hint}`);
    }
    return typeof (error as { exitCode?: unknown }).exitCode === 'number'
      ? (error as { exitCode: number }).exitCode
      : 1;
  }
}
