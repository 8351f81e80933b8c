import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const here = fileURLToPath(new URL('..', import.meta.url));
export const repo = join(here, '..', '..');

/** Code blocks of a Markdown file, with their language. */
export function codeBlocks(file: string): Array<{ lang: string; code: string }> {
  return [...readFileSync(file, 'utf8').matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => ({
    lang: m[1]!,
    code: m[2]!,
  }));
}

/** The READMEs whose MCP setup snippets users copy. */
export const READMES = ['README.md', 'packages/mcp-server/README.md', 'examples/mcp-clients/README.md'].map((file) =>
  join(repo, file),
);

export interface Machine {
  home: string;
  /** The environment a client app on this machine starts servers with (HOME, PATH with the stand-in). */
  env: Record<string, string>;
  /** Where drawdown looks for the user configuration on this platform (Linux here). */
  userConfig: string;
  /** Where drawdown keeps the ledger by default. */
  defaultLedger: string;
}

/**
 * A fresh machine: an empty HOME with a user configuration where `drawdown config init --global`
 * puts it, and `npx` on PATH standing in for the registry: `npx -y @drawdown/cli …` runs this
 * repository's CLI; any other package fails, as an unpublished name would.
 */
export function freshMachine(): Machine {
  const home = mkdtempSync(join(tmpdir(), 'drawdown-client-home-'));
  const userConfig = join(home, '.config', 'drawdown', 'drawdown.config.json');
  mkdirSync(dirname(userConfig), { recursive: true });
  writeFileSync(
    userConfig,
    JSON.stringify({
      strategies: { key: { kind: 'apiKey' } },
      pools: { monthly: { kind: 'budget', amount: '20.00', period: 'month' } },
      route: [{ id: 'api', strategy: 'key', pool: 'monthly' }],
    }),
  );
  const bin = join(home, 'bin');
  mkdirSync(bin);
  const tsx = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
  const cli = join(repo, 'packages/cli/src/bin.ts');
  writeFileSync(
    join(bin, 'npx'),
    `#!/bin/sh
if [ "$1" = "-y" ] && [ "$2" = "@drawdown/cli" ]; then
  shift 2
  exec "${process.execPath}" --conditions=drawdown-source --import "${tsx}" "${cli}" "$@"
fi
echo "npx stand-in: only 'npx -y @drawdown/cli ...' is published; got: npx $*" >&2
exit 127
`,
  );
  chmodSync(join(bin, 'npx'), 0o755);
  const env: Record<string, string> = {};
  // A clean slate: nothing from this shell points drawdown or Claude Code anywhere else.
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !/^(XDG_|DRAWDOWN_|ANTHROPIC_|CLAUDE_|VITEST|npm_)/.test(key)) env[key] = value;
  Object.assign(env, {
    HOME: home,
    PATH: `${bin}:${dirname(process.execPath)}:${env.PATH ?? ''}`,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    NO_COLOR: '1',
  });
  return { home, env, userConfig, defaultLedger: join(home, '.local', 'share', 'drawdown', 'ledger.sqlite') };
}

/** The real Claude Code CLI (pinned devDependency). */
export const claudeBin = join(here, 'node_modules', '@anthropic-ai', 'claude-code', 'bin', 'claude.exe');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell command line as a user types it, on `machine`, with `claude` on PATH. */
export function shell(line: string, machine: Machine, cwd = machine.home): Promise<Run> {
  return startShell(line, machine, cwd).done;
}

/** `shell`, with the process at hand (to stop a server the line started with `exec`). */
export function startShell(
  line: string,
  machine: Machine,
  cwd = machine.home,
): { child: ChildProcess; done: Promise<Run> } {
  const claudeDir = join(machine.home, 'claude-bin');
  if (!existsSync(claudeDir)) {
    mkdirSync(claudeDir);
    writeFileSync(join(claudeDir, 'claude'), `#!/bin/sh\nexec "${claudeBin}" "$@"\n`);
    chmodSync(join(claudeDir, 'claude'), 0o755);
  }
  const child = spawn('/bin/sh', ['-c', line], {
    cwd,
    env: { ...machine.env, PATH: `${claudeDir}:${machine.env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<Run>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}
