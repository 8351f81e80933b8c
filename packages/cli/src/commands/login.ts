import { Command } from 'commander';
import type { DrawdownPlugin } from '@drawdown/core';
import type { LoginResult, LogoutResult } from '@drawdown/plugin-oauth';
import { CliErrorCodes, cliError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { planHub } from '../hub/plan.js';
import { problemsError } from '../hub/open-hub.js';
import { loadFor } from '../session.js';

type OAuthPlugin = DrawdownPlugin & {
  login(options?: { mode?: 'loopback' | 'paste' }): Promise<LoginResult>;
  logout(): Promise<LogoutResult>;
};

/** The configured managed OAuth strategy named by `--strategy`, or the only one. No hub, no store: signing in touches neither. */
async function oauthStrategy(ctx: CliContext, command: Command, wanted: string | undefined): Promise<OAuthPlugin> {
  const loaded = await loadFor(ctx, command);
  if (loaded.problems.length > 0) throw problemsError(loaded.problems, loaded.file);
  const ids = Object.entries(loaded.config.strategies ?? {})
    .filter(([, s]) => s.kind === 'oauth')
    .map(([id]) => id);
  const id = wanted ?? (ids.length === 1 ? ids[0] : undefined);
  if (id === undefined || !ids.includes(id)) {
    throw cliError(
      ids.length === 0 || wanted === undefined ? CliErrorCodes.UNAVAILABLE : CliErrorCodes.UNKNOWN_NAME,
      ids.length === 0
        ? 'no managed OAuth strategy is configured, so there is nothing to sign in to'
        : wanted === undefined
          ? `several OAuth strategies are configured (${ids.join(', ')}); say which`
          : `no OAuth strategy "${wanted}"; configured: ${ids.join(', ')}`,
      ids.length === 0
        ? 'Add a strategy { "kind": "oauth", "issuer": "https://auth.example.com", "clientId": "…" } to drawdown.config.json. Plan allowance needs no login here: the child agent uses its own.'
        : `Pass --strategy ${ids[0]}.`,
      { argument: 'strategy' },
    );
  }
  const only = { ...loaded.config, pools: {}, strategies: { [id]: loaded.config.strategies![id]! }, route: [] };
  const plan = await planHub(only, {
    env: ctx.env,
    cwd: ctx.cwd,
    ...(loaded.file !== undefined && { file: loaded.file }),
  });
  if (plan.problems.length > 0) throw problemsError(plan.problems, loaded.file);
  return plan.plugins[0] as OAuthPlugin;
}

export function loginCommand(ctx: CliContext): Command {
  return new Command('login')
    .description(
      "sign in to the configured authorization server (managed OAuth); tokens go to a 0600 file in the user's config directory",
    )
    .option('--strategy <id>', 'which oauth strategy, when several are configured')
    .option('--paste', 'no browser on this machine: open the address elsewhere and paste back where it ended')
    .option('--json', 'print { strategy, issuer, account, expiresAt } as JSON (never the tokens)')
    .action(async (options: { strategy?: string; paste?: boolean; json?: boolean }, command: Command) => {
      const strategy = await oauthStrategy(ctx, command, options.strategy);
      ctx.term.note(`Signing in for strategy "${strategy.id}"…`);
      const result = await strategy.login({ mode: options.paste ? 'paste' : 'loopback' });
      if (options.json) {
        const expiresAt =
          result.expiresAt !== undefined
            ? { expiresAt: result.expiresAt, expiresAtIso: new Date(result.expiresAt).toISOString() }
            : {};
        ctx.term.out(
          JSON.stringify(
            { strategy: strategy.id, issuer: result.issuer, account: result.account ?? null, ...expiresAt },
            null,
            2,
          ),
        );
        return;
      }
      const until =
        result.expiresAt !== undefined ? `; token valid until ${new Date(result.expiresAt).toISOString()}` : '';
      ctx.term.out(
        `Signed in to ${result.issuer}${result.account !== undefined ? ` as ${result.account}` : ''}${until}.`,
      );
    });
}

export function logoutCommand(ctx: CliContext): Command {
  return new Command('logout')
    .description('revoke and delete the tokens of the managed OAuth strategy')
    .option('--strategy <id>', 'which oauth strategy, when several are configured')
    .option('--json', 'print { strategy, hadTokens, revoked } as JSON')
    .action(async (options: { strategy?: string; json?: boolean }, command: Command) => {
      const strategy = await oauthStrategy(ctx, command, options.strategy);
      const result = await strategy.logout();
      if (options.json) {
        ctx.term.out(
          JSON.stringify({ strategy: strategy.id, hadTokens: result.hadTokens, revoked: result.revoked }, null, 2),
        );
        return;
      }
      ctx.term.out(
        !result.hadTokens
          ? `Strategy "${strategy.id}" was not signed in; nothing to do.`
          : `Signed out of "${strategy.id}"${result.revoked ? '; the server revoked the tokens' : '; tokens deleted here (the server offers no revocation)'}.`,
      );
    });
}
