import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** The real Claude Code CLI (pinned devDependency), its native binary. */
export const claudeBinary = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@anthropic-ai/claude-code/package.json')),
  'bin',
  'claude.exe',
);

/** A fresh HOME with a working directory inside, for a Claude Code that has never run. */
export function freshHome(): { home: string; work: string } {
  const home = mkdtempSync(path.join(tmpdir(), 'drawdown-home-'));
  const work = path.join(home, 'work');
  mkdirSync(work);
  return { home, work };
}

/** Runs `claude -p <prompt> --output-format json` against a loopback server, the way a user would with a key (or, with `apiKey: ""`, with what `env` gives). */
export function runClaude(
  prompt: string,
  options: { home: string; cwd: string; baseUrl: string; apiKey: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(claudeBinary, ['-p', prompt, '--output-format', 'json'], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: options.home,
        ANTHROPIC_BASE_URL: options.baseUrl,
        ...(options.apiKey !== '' && { ANTHROPIC_API_KEY: options.apiKey }),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
