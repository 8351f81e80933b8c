import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const binPath = path.join(repoRoot, 'packages/cli/src/bin.ts');
// An absolute loader URL lets the CLI run from any working directory (config tests use temp dirs).
export const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Sees stderr as it arrives (to act on a sign-in URL while the command waits). */
  onStderr?: (soFar: string) => void;
}

/** Runs the real `drawdown` CLI as a child process, the way a user's shell does. */
export function runDrawdown(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, NO_COLOR: '1', ...options.env }))
      if (value !== undefined) env[key] = value;
    const child = spawn(process.execPath, ['--conditions=drawdown-source', '--import', tsxLoader, binPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * stderr as one line per message: the CLI wraps its prose to 80 columns with continuation lines
 * indented by two spaces; this joins them back, so a test can match a whole message.
 */
export function unwrapped(stderr: string): string {
  return stderr.replace(/\n {2}(?=\S)/g, ' ');
}
