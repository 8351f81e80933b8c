import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { loadConfig } from '../config/load.js';
import { demoChildAgent } from '../demo/child-agent.js';
import { withDecimalStrings } from '../render/status.js';
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
    .option('--json', 'tell the story on stderr and print { dir, configFile, status } as JSON on stdout')
    .action(async (options: { live?: boolean; dir?: string; json?: boolean }) => {
      if (options.live && !ctx.env.ANTHROPIC_API_KEY) {
        throw cliError(
          CliErrorCodes.UNAVAILABLE,
          '--live needs ANTHROPIC_API_KEY',
          'Export your API key, or run "drawdown demo" without --live to stay offline.',
          { argument: 'live' },
        );
      }
      if (options.dir !== undefined) {
        const dir = path.resolve(ctx.cwd, options.dir);
        if (existsSync(path.join(dir, 'ledger.sqlite'))) {
          throw cliError(
            CliErrorCodes.INVALID_ARGUMENT,
            `${dir} already holds a demo ledger`,
            'The story starts from an empty ledger: pass a new --dir, or leave --dir out for a fresh temp directory.',
            { argument: 'dir' },
          );
        }
        mkdirSync(dir, { recursive: true });
        options.dir = dir;
      }
      // Loaded on demand: the demo pulls in the Anthropic SDK and the loopback server.
      const { runDemo } = await import('../demo/scenario.js');
      // Under --json the story is for people (stderr); stdout carries only where the demo left its ledger and how it stands.
      const term = options.json ? { ...ctx.term, out: ctx.term.note } : ctx.term;
      const { dir } = await runDemo({
        term,
        env: ctx.env,
        selfCommand: selfCommand(),
        ...(options.live && { live: true }),
        ...(options.dir !== undefined && { dir: options.dir }),
      });
      if (options.json) {
        const configFile = path.join(dir, 'drawdown.config.json');
        const loaded = await loadConfig({ explicit: configFile, cwd: ctx.cwd, env: ctx.env });
        const status = await withLoadedHub(ctx, loaded, (hub) => hub.status());
        ctx.term.out(JSON.stringify({ dir, configFile, status: withDecimalStrings(status) }, null, 2));
      }
    });
}

/** Hidden: the demo's child agent (what `drawdown demo` starts in personal mode). */
export function demoAgentCommand(ctx: CliContext): Command {
  return new Command('demo-agent').argument('<prompts...>').action(async (prompts: string[]) => {
    ctx.exitCode = await demoChildAgent(ctx.env, prompts);
  });
}
