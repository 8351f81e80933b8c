import {
  DrawdownError,
  ErrorCodes,
  childEnvForOwnSignIn,
  invalidOption,
  type AuthStrategy,
  type ChildEnv,
  type DrawdownPlugin,
} from '@drawdown/core';
import { runProbe, type ProbeOptions } from './probe.js';

export interface DelegatedOptions {
  /** Strategy id used in routes. Default `delegated`. */
  id?: string;
  /**
   * Command that tells whether the child agent is signed in (exit 0 = yes). Without one, status
   * says the sign-in is not checked.
   */
  probe?: ProbeOptions;
  /** Keep `CLAUDE_CODE_OAUTH_TOKEN` (the user's own `claude setup-token` token) in the child. Default false. */
  keepUserOAuthToken?: boolean;
  /** More variables to remove from the child (an app's own secrets). */
  removeVars?: string[];
  /**
   * Keep the parent's `ANTHROPIC_BASE_URL` in the child. Default false: behind a custom base URL
   * Claude Code does not use the claude.ai login, so the plan would not pay.
   */
  keepBaseUrl?: boolean;
}

/**
 * For a child agent that holds its own sign-in (Claude Code signed in with /login, the Agent SDK,
 * an ACP agent): the plan allowance pays through the user's unmodified client. drawdown only
 * shapes the child's environment — nothing of core's CHILD_AUTH_VARIABLES (keys, tokens, custom
 * headers, credential file descriptors, provider switches, base URLs) — and never reads the
 * child's credential files.
 */
export function delegated(options: DelegatedOptions = {}) {
  const id = options.id ?? 'delegated';
  const owner = `delegated("${id}")`;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(id)) {
    throw invalidOption(
      owner,
      'id',
      'must be a short name of letters, digits, ".", "_" or "-"',
      'Use something like "claude-login".',
    );
  }
  const probe = options.probe;
  if (probe !== undefined) {
    if (typeof probe !== 'object' || probe === null || typeof probe.command !== 'string' || probe.command === '') {
      throw invalidOption(
        owner,
        'probe.command',
        'is missing',
        'Give the program to run, like { command: "claude", args: ["auth", "status"] }.',
      );
    }
    if (probe.args !== undefined && (!Array.isArray(probe.args) || probe.args.some((a) => typeof a !== 'string'))) {
      throw invalidOption(owner, 'probe.args', 'must be a list of strings', 'Use something like ["auth", "status"].');
    }
    if (probe.timeoutMs !== undefined && (!Number.isSafeInteger(probe.timeoutMs) || probe.timeoutMs <= 0)) {
      throw invalidOption(
        owner,
        'probe.timeoutMs',
        `is ${String(probe.timeoutMs)}`,
        'Use a positive number of milliseconds, like 10000.',
      );
    }
  }
  if (options.keepBaseUrl !== undefined && typeof options.keepBaseUrl !== 'boolean') {
    throw invalidOption(
      owner,
      'keepBaseUrl',
      `is ${JSON.stringify(options.keepBaseUrl)}`,
      'Use true to keep ANTHROPIC_BASE_URL in the child, or leave it out.',
    );
  }
  if (
    options.removeVars !== undefined &&
    (!Array.isArray(options.removeVars) || options.removeVars.some((v) => typeof v !== 'string'))
  ) {
    throw invalidOption(owner, 'removeVars', 'must be a list of variable names', 'Use something like ["MY_APP_KEY"].');
  }

  const childEnv = (base?: ChildEnv): ChildEnv =>
    childEnvForOwnSignIn({
      ...(base !== undefined && { base }),
      ...(options.removeVars !== undefined && { removeVars: options.removeVars }),
      ...(options.keepUserOAuthToken !== undefined && { keepUserOAuthToken: options.keepUserOAuthToken }),
      ...(options.keepBaseUrl !== undefined && { keepBaseUrl: options.keepBaseUrl }),
    });

  const strategy: AuthStrategy = {
    id,
    kind: 'delegated',
    async credentials() {
      throw new DrawdownError(
        ErrorCodes.AUTH_UNAVAILABLE,
        `strategy "${id}" is delegated: requests are made by the child agent with its own sign-in, so there are no credentials to give an in-process client. Start the agent with hub.childEnv(entry) instead.`,
        { data: { strategy: id, kind: 'delegated' } },
      );
    },
    childEnv,
    async status() {
      if (!probe)
        return { ready: true, detail: 'the child agent uses its own sign-in (not checked: no probe configured)' };
      return runProbe(probe, childEnv());
    },
    secrets: () => [],
  };
  return { id, kind: 'auth', setup: () => ({ strategy }) } satisfies DrawdownPlugin;
}
