import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Command } from 'commander';
import { createHub, isDrawdownError, memoryStore, silentLogger } from '@drawdown/core';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { ConfigProblem } from '../config/types.js';
import { starterConfig } from '../config/starter.js';
import type { CliContext } from '../context.js';
import { planHub } from '../hub/plan.js';
import { describeStore } from '../hub/store.js';
import { renderTable } from '../render/table.js';
import { paint } from '../render/terminal.js';
import { loadFor } from '../session.js';

function checkCommand(ctx: CliContext): Command {
  return new Command('check')
    .description('validate the configuration and print every problem with its field path')
    .option('--json', 'print { file, ok, problems } as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const loaded = await loadFor(ctx, command);
      const problems: ConfigProblem[] = [...loaded.problems];
      if (problems.length === 0) {
        const plan = await planHub(loaded.config, { env: ctx.env, cwd: ctx.cwd, ...(loaded.file !== undefined && { file: loaded.file }) });
        problems.push(...plan.problems);
        if (problems.length === 0) {
          // Build the hub against a throwaway memory store: the route's references are checked for real, the ledger is not touched.
          try {
            const hub = await createHub({ store: memoryStore(), plugins: plan.plugins, ...(plan.route && { route: plan.route }), logger: silentLogger, ...(loaded.config.timeZone !== undefined && { timeZone: loaded.config.timeZone }) });
            await hub.close();
          } catch (error) {
            if (!isDrawdownError(error)) throw error;
            const field = (error.data as { field?: unknown }).field;
            problems.push({ path: typeof field === 'string' ? field : '(hub)', message: error.message });
          }
        }
      }
      const file = loaded.file ?? '(no config file; defaults and environment only)';
      if (options.json) {
        ctx.term.out(JSON.stringify({ file: loaded.file ?? null, ok: problems.length === 0, fromEnv: loaded.fromEnv, problems }, null, 2));
      } else if (problems.length === 0) {
        const c = loaded.config;
        ctx.term.out(`${paint(ctx.term, 'green', '✓')} ${file} is valid`);
        ctx.term.out(`  strategies: ${Object.keys(c.strategies ?? {}).join(', ') || 'none'}`);
        ctx.term.out(`  pools:      ${Object.keys(c.pools ?? {}).join(', ') || 'none'}${c.plugins?.length ? ` (+ ${c.plugins.length} plugin${c.plugins.length === 1 ? '' : 's'})` : ''}`);
        ctx.term.out(`  route:      ${(c.route ?? []).map((e) => e.id).join(' → ') || 'none'}`);
        ctx.term.out(`  store:      ${describeStore(c.store)}`);
        if (loaded.fromEnv.length > 0) ctx.term.out(`  from env:   ${loaded.fromEnv.join(', ')}`);
      } else {
        ctx.term.out(`${paint(ctx.term, 'red', '✗')} ${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n\n`);
        ctx.term.out(renderTable([{ header: 'Field' }, { header: 'Problem' }], problems.map((p) => [p.path, p.message])));
      }
      // The problems are the output; exit non-zero without repeating them as an error line.
      if (problems.length > 0) ctx.exitCode = 1;
    });
}

function initCommand(ctx: CliContext): Command {
  return new Command('init')
    .description('write a starting drawdown.config.json in the current directory')
    .option('--force', 'overwrite an existing file')
    .action(async (options: { force?: boolean }) => {
      const file = path.join(ctx.cwd, 'drawdown.config.json');
      if (existsSync(file) && !options.force) {
        throw cliError(CliErrorCodes.INVALID_ARGUMENT, `${file} already exists`, 'Pass --force to overwrite it, or edit it and run "drawdown config check".', { argument: 'force' });
      }
      await writeFile(file, `${JSON.stringify(starterConfig, null, 2)}\n`);
      ctx.term.out(`wrote ${file}; check it with "drawdown config check"`);
    });
}

export function configCommand(ctx: CliContext): Command {
  return new Command('config').description('check or create the configuration').addCommand(checkCommand(ctx)).addCommand(initCommand(ctx));
}
