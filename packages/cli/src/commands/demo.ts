import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { loadConfig } from '../config/load.js';
import { demoChildAgent } from '../demo/child-agent.js';
import { withDecimalStrings } from '../render/status.js';
import { cliInvocation, shellCommandLines } from '../invocation.js';
import { withLoadedHub } from '../session.js';

/** How to start this same CLI again (from sources under tsx, or built), for the demo's child agent. */
function selfCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description(
      'the whole idea in under 30 seconds, offline: trial → personal mode → plan limit → credits → auto-reload',
    )
    .option('--live', 'call the real Messages API with ANTHROPIC_API_KEY (tiny amounts; costs a fraction of a cent)')
    .option('--dir <path>', 'keep the ledger and config here instead of a new temp directory')
    .option('--keep', 'keep the temp directory with the ledger and config, to explore them afterwards')
    .option('--json', 'tell the story on stderr and print { dir, configFile, kept, status } as JSON on stdout')
    .action(async (options: { live?: boolean; dir?: string; keep?: boolean; json?: boolean }) => {
      if (options.live && !ctx.env.ANTHROPIC_API_KEY) {
        throw cliError(
          CliErrorCodes.UNAVAILABLE,
          '--live needs ANTHROPIC_API_KEY',
          'Export your API key, or run "drawdown demo" without --live to stay offline.',
          { argument: 'live' },
        );
      }
      let dir: string;
      if (options.dir !== undefined) {
        dir = path.resolve(ctx.cwd, options.dir);
        if (existsSync(path.join(dir, 'ledger.sqlite'))) {
          throw cliError(
            CliErrorCodes.INVALID_ARGUMENT,
            `${dir} already holds a demo ledger`,
            'The story starts from an empty ledger: pass a new --dir, or leave --dir out for a fresh temp directory.',
            { argument: 'dir' },
          );
        }
        mkdirSync(dir, { recursive: true });
      } else dir = mkdtempSync(path.join(tmpdir(), 'drawdown-demo-'));
      // A directory the user named is theirs; a temp directory goes when the demo ends, however it ends.
      const kept = options.dir !== undefined || options.keep === true;
      const removeOnSignal = kept ? undefined : removeWhenInterrupted(dir);
      try {
        // Loaded on demand: the demo pulls in the Anthropic SDK and the loopback server.
        const { runDemo } = await import('../demo/scenario.js');
        // Under --json the story is for people (stderr); stdout carries only where the demo left its ledger and how it stands.
        const term = options.json ? { ...ctx.term, out: ctx.term.note } : ctx.term;
        await runDemo({
          term,
          env: ctx.env,
          selfCommand: selfCommand(),
          dir,
          ...(options.live && { live: true }),
        });
        const configFile = path.join(dir, 'drawdown.config.json');
        term.out(`\n${closingLines(ctx, configFile, kept).join('\n')}`);
        if (options.json) {
          const loaded = await loadConfig({ explicit: configFile, cwd: ctx.cwd, env: ctx.env });
          const status = await withLoadedHub(ctx, loaded, (hub) => hub.status());
          ctx.term.out(JSON.stringify({ dir, configFile, kept, status: withDecimalStrings(status) }, null, 2));
        }
      } finally {
        removeOnSignal?.();
        if (!kept) rmSync(dir, { recursive: true, force: true });
      }
    });
}

/** What to run next: explore the kept ledger, or run again with --keep. Each command works as printed. */
function closingLines(ctx: CliContext, configFile: string, kept: boolean): string[] {
  const width = Math.min(ctx.term.width, 80);
  const drawdown = cliInvocation(ctx.env);
  return kept
    ? ['Explore it (or report, which):', ...shellCommandLines([drawdown, 'status', `--config ${configFile}`], width)]
    : [
        'The demo removed its temp directory. To keep the ledger and explore it:',
        ...shellCommandLines([drawdown, 'demo', '--keep'], width),
      ];
}

/** Removes `dir` if the demo is stopped by Ctrl-C or a kill, then exits as the signal asks; returns the undo. */
function removeWhenInterrupted(dir: string): () => void {
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = (): void => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(128 + osConstants.signals[signal]);
    };
    process.once(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}

/** Hidden: the demo's child agent (what `drawdown demo` starts in personal mode). */
export function demoAgentCommand(ctx: CliContext): Command {
  return new Command('demo-agent').argument('<prompts...>').action(async (prompts: string[]) => {
    ctx.exitCode = await demoChildAgent(ctx.env, prompts);
  });
}
