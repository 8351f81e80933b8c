import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { demoChildAgent } from '../demo/child-agent.js';

/** How to start this same CLI again (from sources under tsx, or built), for the demo's child agent. */
function selfCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description('the whole idea in under 30 seconds, offline: trial → personal mode → plan limit → credits → auto-reload')
    .option('--live', 'call the real Messages API with ANTHROPIC_API_KEY (tiny amounts; costs a fraction of a cent)')
    .option('--dir <path>', 'keep the ledger and config here instead of a new temp directory')
    .action(async (options: { live?: boolean; dir?: string }) => {
      if (options.live && !ctx.env.ANTHROPIC_API_KEY) {
        throw cliError(CliErrorCodes.UNAVAILABLE, '--live needs ANTHROPIC_API_KEY', 'Export your API key, or run "drawdown demo" without --live to stay offline.', { argument: 'live' });
      }
      if (options.dir !== undefined) {
        const dir = path.resolve(ctx.cwd, options.dir);
        if (existsSync(path.join(dir, 'ledger.sqlite'))) {
          throw cliError(CliErrorCodes.INVALID_ARGUMENT, `${dir} already holds a demo ledger`, 'The story starts from an empty ledger: pass a new --dir, or leave --dir out for a fresh temp directory.', { argument: 'dir' });
        }
        mkdirSync(dir, { recursive: true });
        options.dir = dir;
      }
      // Loaded on demand: the demo pulls in the Anthropic SDK and the loopback server.
      const { runDemo } = await import('../demo/scenario.js');
      await runDemo({ term: ctx.term, env: ctx.env, selfCommand: selfCommand(), ...(options.live && { live: true }), ...(options.dir !== undefined && { dir: options.dir }) });
    });
}

/** Hidden: the demo's child agent (what `drawdown demo` starts in personal mode). */
export function demoAgentCommand(ctx: CliContext): Command {
  return new Command('demo-agent')
    .argument('<prompts...>')
    .action(async (prompts: string[]) => {
      ctx.exitCode = await demoChildAgent(ctx.env, prompts);
    });
}
