import { Command, CommanderError } from 'commander';
import { CliErrorCodes, describeFailure, errorJson } from './cli-error.js';
import type { CliContext } from './context.js';
import { fitLines } from './render/table.js';
import { processTerminal } from './render/terminal.js';
import { CLI_VERSION } from './version.js';

type CommandFactory = (ctx: CliContext) => Command;

/**
 * Every command, in the order `--help` lists them, with the module that defines it. A command's
 * module (and what it imports: the SDK, the gateway, the MCP server…) is loaded only when that
 * command runs, or when help lists them all: `drawdown rates` need not load 800 modules to start.
 */
const COMMANDS: ReadonlyArray<{ name: string; hidden?: boolean; load: () => Promise<CommandFactory> }> = [
  { name: 'status', load: async () => (await import('./commands/status.js')).statusCommand },
  { name: 'report', load: async () => (await import('./commands/report.js')).reportCommand },
  { name: 'reconcile', load: async () => (await import('./commands/reconcile.js')).reconcileCommand },
  { name: 'which', load: async () => (await import('./commands/which.js')).whichCommand },
  { name: 'estimate', load: async () => (await import('./commands/estimate.js')).estimateCommand },
  { name: 'rates', load: async () => (await import('./commands/rates.js')).ratesCommand },
  { name: 'run', load: async () => (await import('./commands/run.js')).runCommand },
  { name: 'acp', load: async () => (await import('./commands/acp.js')).acpCommand },
  { name: 'login', load: async () => (await import('./commands/login.js')).loginCommand },
  { name: 'logout', load: async () => (await import('./commands/login.js')).logoutCommand },
  { name: 'mcp', load: async () => (await import('./commands/mcp.js')).mcpCommand },
  { name: 'gateway', load: async () => (await import('./commands/gateway.js')).gatewayCommand },
  { name: 'dashboard', load: async () => (await import('./commands/dashboard.js')).dashboardCommand },
  { name: 'keys', load: async () => (await import('./commands/keys.js')).keysCommand },
  { name: 'credits', load: async () => (await import('./commands/credits.js')).creditsCommand },
  { name: 'config', load: async () => (await import('./commands/config.js')).configCommand },
  { name: 'demo', load: async () => (await import('./commands/demo.js')).demoCommand },
  { name: 'demo-agent', hidden: true, load: async () => (await import('./commands/demo.js')).demoAgentCommand },
];

/** Global options that take a value: the word after them is not the command. */
const OPTIONS_WITH_VALUE = new Set(['-c', '--config']);

/** The command `args` names, when it is one of ours; otherwise help, an error or a suggestion needs them all. */
function commandNamed(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (OPTIONS_WITH_VALUE.has(arg)) i++;
    else if (!arg.startsWith('-')) return COMMANDS.some((c) => c.name === arg) ? arg : undefined;
  }
  return undefined;
}

/**
 * Builds the `drawdown` program; one file per command under `commands/`. With `args`, only the
 * command they name is loaded (all of them when they name none, for help and suggestions).
 */
export async function createProgram(ctx: CliContext, args?: readonly string[]): Promise<Command> {
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
  program.version(CLI_VERSION, '-V, --version', 'print the drawdown version');
  program.option(
    '-c, --config <file>',
    'configuration file (default: nearest drawdown.config.{ts,json}, then the user config directory; or DRAWDOWN_CONFIG)',
  );
  const only = args === undefined ? undefined : commandNamed(args);
  const wanted = COMMANDS.filter((c) => only === undefined || c.name === only);
  const factories = await Promise.all(wanted.map((c) => c.load()));
  wanted.forEach((c, i) => {
    program.addCommand(factories[i]!(ctx), c.hidden === true ? { hidden: true } : {});
  });
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
  // Errors, hints and notes on stderr are prose for people: wrapped to 80 columns (or the terminal's
  // width when narrower), continuation lines indented. Under --json stderr carries one JSON object
  // per line, left whole.
  if (!ctx.json) {
    const { note } = ctx.term;
    const width = Math.min(ctx.term.width, 80);
    ctx.term = { ...ctx.term, note: (text) => note(fitLines(text.replace(/\n+$/, ''), width, '  ', true)) };
  }
  try {
    const program = await createProgram(ctx, args);
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
