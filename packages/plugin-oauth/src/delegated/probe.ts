import { execFile } from 'node:child_process';
import type { AuthStatus, ChildEnv } from '@drawdown/core';

export interface ProbeOptions {
  /** Program to run, without a shell, e.g. `claude`. */
  command: string;
  /** e.g. `["auth", "status"]`. */
  args?: string[];
  /** Give up after this long and report "not signed in". Default 10 000 ms. */
  timeoutMs?: number;
}

const describe = (probe: ProbeOptions): string => [probe.command, ...(probe.args ?? [])].join(' ');

/**
 * Reads the JSON some clients print (`{"loggedIn": true, "email": "..."}`); only a boolean and an
 * account name are taken, nothing else of the output is ever repeated.
 */
function fromJson(stdout: string): { loggedIn?: boolean; account?: string } {
  try {
    const parsed = JSON.parse(stdout) as Record<string, unknown>;
    const loggedIn = typeof parsed.loggedIn === 'boolean' ? parsed.loggedIn : undefined;
    const account =
      typeof parsed.email === 'string' && /^[^\s@]+@[^\s@]+$/.test(parsed.email) ? parsed.email : undefined;
    return { ...(loggedIn !== undefined && { loggedIn }), ...(account !== undefined && { account }) };
  } catch {
    return {};
  }
}

/**
 * Runs the probe in the child's own environment (so it reports the child's sign-in, not a key the
 * parent holds). Exit code 0 means signed in unless its JSON says `loggedIn: false`. The probe's
 * output is never shown: it could hold anything.
 */
export function runProbe(probe: ProbeOptions, env: ChildEnv): Promise<AuthStatus> {
  const timeoutMs = probe.timeoutMs ?? 10_000;
  const shown = `\`${describe(probe)}\``;
  return new Promise((resolve) => {
    execFile(
      probe.command,
      probe.args ?? [],
      { env, timeout: timeoutMs, maxBuffer: 1 << 20, windowsHide: true },
      (error, stdout) => {
        const json = fromJson(String(stdout));
        if (error) {
          const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
          const detail =
            failure.code === 'ENOENT'
              ? `cannot check the sign-in: ${probe.command} was not found`
              : failure.killed
                ? `cannot check the sign-in: ${shown} did not answer within ${timeoutMs} ms`
                : `not signed in (${shown} exited with ${String(failure.code ?? 'an error')})`;
          resolve({
            ready: false,
            detail,
            hint:
              failure.code === 'ENOENT'
                ? `install ${probe.command}, or configure the probe`
                : 'sign in with the agent itself (for Claude Code: run /login)',
          });
          return;
        }
        if (json.loggedIn === false) {
          resolve({
            ready: false,
            detail: `not signed in (${shown} says so)`,
            hint: 'sign in with the agent itself (for Claude Code: run /login)',
          });
          return;
        }
        resolve({
          ready: true,
          detail: json.account ? `signed in as ${json.account}` : `signed in (${shown} succeeded)`,
        });
      },
    );
  });
}
