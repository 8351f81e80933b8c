import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface ClaudeCodeEnvOptions {
  /** The loopback server's URL (`server.url`). */
  baseUrl: string;
  /** A scratch directory used as `HOME`; Claude Code keeps its config and sessions under `<home>/.claude`. */
  home: string;
  /** Sent as `ANTHROPIC_API_KEY`; omit to start the agent with no credential at all. */
  apiKey?: string;
  /** More variables (undefined removes one). */
  extra?: Record<string, string | undefined>;
  /**
   * For the interactive (full-screen) CLI: writes a Claude Code config in which first-run onboarding
   * is done, this working directory is trusted and `apiKey` is approved, so `claude` opens straight
   * at its prompt instead of asking.
   */
  interactiveIn?: string;
}

/**
 * A whole environment for running the real Claude Code CLI or Agent SDK against the loopback server
 * with nothing of the developer's own setup: its own `HOME` and `CLAUDE_CONFIG_DIR` (no login, no
 * settings, no sessions of the real user), the server as `ANTHROPIC_BASE_URL`, and only `PATH` kept.
 * Claude Code's connectivity check (`HEAD /api/hello`) and its API calls all reach the server.
 */
export function claudeCodeEnv(options: ClaudeCodeEnvOptions): Record<string, string> {
  const configDir = path.join(options.home, '.claude');
  mkdirSync(configDir, { recursive: true });
  if (options.interactiveIn !== undefined) {
    const config = {
      hasCompletedOnboarding: true,
      theme: 'dark',
      numStartups: 1,
      projects: {
        [path.resolve(options.interactiveIn)]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true },
      },
      // Claude Code remembers an approved key by its last 20 characters.
      customApiKeyResponses: {
        approved: options.apiKey !== undefined ? [options.apiKey.slice(-20)] : [],
        rejected: [],
      },
    };
    writeFileSync(path.join(configDir, '.claude.json'), JSON.stringify(config));
  }
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: options.home,
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: options.baseUrl,
    ...(options.apiKey !== undefined && { ANTHROPIC_API_KEY: options.apiKey }),
    // No self-update and no error reports to hosts a test machine cannot reach.
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    ...(options.interactiveIn !== undefined && {
      TERM: process.env.TERM && process.env.TERM !== 'dumb' ? process.env.TERM : 'xterm-256color',
    }),
    ...options.extra,
  };
  return Object.fromEntries(Object.entries(env).filter((pair): pair is [string, string] => pair[1] !== undefined));
}
