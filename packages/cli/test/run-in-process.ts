import { Readable } from 'node:stream';
import { runCli } from '../src/program.js';
import { terminalWidth } from '../src/render/terminal.js';
import type { CliResult, RunOptions } from './run-cli.js';
import { repoRoot } from './run-cli.js';

/**
 * Runs the `drawdown` CLI in this process (the same program the binary runs, without starting
 * Node and the TypeScript loader again): stdout and stderr captured, `env` as the whole
 * environment on top of this process's, answers read from `input`. Only for commands that end
 * on their own (not `dashboard`, `gateway` or `mcp`).
 */
export async function runInProcess(args: string[], options: Omit<RunOptions, 'onStderr'> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries({ ...process.env, NO_COLOR: '1', ...options.env }))
    if (value !== undefined) env[key] = value;
  const code = await runCli(args, {
    term: {
      out: (text) => void (stdout += text.endsWith('\n') ? text : `${text}\n`),
      note: (text) => void (stderr += text.endsWith('\n') ? text : `${text}\n`),
      color: false,
      width: terminalWidth(env, undefined),
    },
    env,
    cwd: options.cwd ?? repoRoot,
    input: Readable.from(options.input === undefined || options.input === '' ? [] : [options.input]),
  });
  return { code, stdout, stderr };
}
