import * as path from 'node:path';
import { Command } from 'commander';
import { defaultRateCard, isDrawdownError, stderrLogger, type Hub } from '@drawdown/core';
import type { SetupProblem } from '@drawdown/mcp-server';
import { CliErrorCodes, cliError, describeFailure } from '../cli-error.js';
import { userConfigDir } from '../config/locate.js';
import { reconcileSettings, type ReconcileSettings } from '../config/reconcile.js';
import type { CliContext } from '../context.js';
import { portFlag, wholeNumberFlag } from '../flags.js';
import { untilStopped } from '../until-stopped.js';
import { openHub } from '../hub/open-hub.js';
import { describeStore } from '../hub/store.js';
import { withProgress } from '../render/progress.js';
import { loadFor } from '../session.js';
import { CLI_VERSION } from '../version.js';
import { claudeUsageJson, observedRange, readObserved, zeroConfigJson, zeroConfigView } from '../zero-config/index.js';

interface McpOptions {
  writes?: boolean;
  http?: boolean;
  host: string;
  port: string;
  token?: string;
  sessionIdle: string;
  maxSessions: string;
  json?: boolean;
}

/**
 * The hub the configuration describes, or the reason there is none. A server that dies here shows
 * as a dead server in the client, with the reason in a log nobody opens; so the reason is served.
 */
async function hubOrProblem(
  ctx: CliContext,
  command: Command,
): Promise<
  { hub: Hub; reconcile?: ReconcileSettings; problem?: undefined } | { hub?: undefined; problem: SetupProblem }
> {
  try {
    const loaded = await loadFor(ctx, command);
    if (loaded.file === undefined) return { problem: zeroConfigProblem(ctx, loaded.searched) };
    const hub = await withProgress(
      ctx.term,
      `opening the ledger (${describeStore(loaded.config.store, ctx.env)})`,
      () => openHub(loaded, { env: ctx.env, cwd: ctx.cwd }),
    );
    const reconcile = reconcileSettings(loaded.config.reconcile, ctx.env);
    return { hub, ...(reconcile && { reconcile }) };
  } catch (error) {
    const { line, hint } = describeFailure(error);
    const problem: SetupProblem = isDrawdownError(error)
      ? { message: error.message, code: error.code, hint: hint ?? 'Run "drawdown config check" to see what is wrong.' }
      : { message: line.replace(/^drawdown: /, ''), hint: hint ?? 'Run "drawdown config check" to see what is wrong.' };
    return { problem };
  }
}

/**
 * No configuration anywhere: the tools say where to create one; `local_usage` shows what is true
 * already, and prices need no configuration, so `rate_card` and `estimate_cost` answer from the
 * built-in rate card.
 */
function zeroConfigProblem(ctx: CliContext, searched: string[]): SetupProblem {
  const userFile = path.join(userConfigDir(ctx.env), 'drawdown.config.json');
  return {
    message: `no drawdown configuration was found (looked from ${ctx.cwd} upward, then ${userFile}), so there are no pools, budgets or route to show`,
    hint: `run "drawdown config init --global" to create ${userFile} (or set DRAWDOWN_CONFIG), then restart this MCP server; until then local_usage shows what Claude Code spent on this machine, and rate_card and estimate_cost price requests`,
    code: CliErrorCodes.INVALID_CONFIG,
    rateCard: defaultRateCard,
    localUsage: async ({ days }) =>
      zeroConfigJson(await zeroConfigView({ env: ctx.env, searched, ...(days !== undefined && { days }) })) as object,
  };
}

/** `local_usage` beside a hub: Claude Code's observed spend, less what the ledger metered. */
function observedUsage(ctx: CliContext, hub: Hub): NonNullable<SetupProblem['localUsage']> {
  return async ({ days }) => {
    const range = observedRange(hub.clock.now(), hub.timeZone, days ?? 7);
    return claudeUsageJson(await readObserved(ctx.env, range, hub.store), range);
  };
}

export function mcpCommand(ctx: CliContext): Command {
  return new Command('mcp')
    .description(
      'serve pool status, reports and estimates to MCP clients over stdio (stdout carries protocol only), or Streamable HTTP with --http',
    )
    .option('--writes', 'offer add_funds and set_auto_reload (each asks the user to confirm)')
    .option('--http', 'serve Streamable HTTP instead of stdio; prints the endpoint URL on stderr')
    .option('--host <address>', 'address --http binds; any other than loopback needs --token', '127.0.0.1')
    .option('--port <number>', 'port --http listens on (0: any free port)', '8765')
    .option('--token <secret>', 'bearer token HTTP clients must send, 16+ characters (default: DRAWDOWN_MCP_TOKEN)')
    .option('--session-idle <seconds>', 'close an HTTP session after this long without a request', '900')
    .option('--max-sessions <count>', 'most HTTP sessions at once; a new one evicts the longest idle', '100')
    .option('--json', 'with --http: print {"url": ...} on stdout once serving')
    .action(async (options: McpOptions, command: Command) => {
      // Flags are checked before anything is opened: a typo here is the user's to see, in the terminal.
      const http = options.http === true;
      const port = http ? portFlag(options.port, 8765) : 0;
      const idleSeconds = wholeNumberFlag('session-idle', options.sessionIdle, { min: 1, unit: 'seconds' }, '900');
      const maxSessions = wholeNumberFlag('max-sessions', options.maxSessions, { min: 1 }, '100');
      const token = options.token ?? (ctx.env.DRAWDOWN_MCP_TOKEN || undefined);
      if (token !== undefined && token.trim().length < 16) {
        throw cliError(
          CliErrorCodes.INVALID_ARGUMENT,
          `the bearer token (--token or DRAWDOWN_MCP_TOKEN) has ${token.trim().length} characters; it needs 16 or more`,
          'Use a long random secret, e.g. --token "$(openssl rand -hex 32)".',
          { argument: '--token' },
        );
      }

      const served = await hubOrProblem(ctx, command);
      if (served.problem)
        ctx.term.note(
          `drawdown mcp: not set up — ${served.problem.message.replace(/\.$/, '')}; every tool will say so and how to fix it`,
        );
      const logger = served.hub?.logger ?? stderrLogger();
      try {
        // Loaded on demand: the MCP SDK is the heaviest import, and no other command needs it.
        const [{ serveHttp, serveStdio }, { dashboardApp }] = await Promise.all([
          import('@drawdown/mcp-server'),
          import('@drawdown/dashboard'),
        ]);
        // Clients show the server's version: the CLI's own.
        const what = served.hub
          ? {
              hub: served.hub,
              ...(served.reconcile && { reconcile: served.reconcile }),
              localUsage: observedUsage(ctx, served.hub),
              dashboardApp,
              version: CLI_VERSION,
            }
          : { setupProblem: served.problem!, logger, version: CLI_VERSION };
        if (!http) {
          const handle = serveStdio({ ...what, ...(options.writes && { writes: true }) });
          ctx.term.note('drawdown mcp: serving over stdio; diagnostics on stderr');
          await untilStopped(process.stdin);
          await handle.close();
          return;
        }
        const handle = await serveHttp({
          ...what,
          ...(options.writes && { writes: true }),
          host: options.host,
          port,
          ...(token !== undefined && { bearerToken: token }),
          sessionIdleTimeoutMs: idleSeconds * 1000,
          maxSessions,
        }).catch((error: unknown) => {
          // The library names its option; on the command line the fix is a flag.
          if (!isDrawdownError(error, 'DRAWDOWN_MCP_BEARER_TOKEN_REQUIRED')) throw error;
          throw cliError(
            error.code,
            error.message.replace(/ Pass bearerToken.*$/, ''),
            `Pass --token "$(openssl rand -hex 32)" (or set DRAWDOWN_MCP_TOKEN) and give clients that token, or serve on --host 127.0.0.1.`,
            { argument: '--token' },
            error,
          );
        });
        ctx.term.note(
          `drawdown mcp: serving ${handle.url}${token === undefined ? '' : ' (clients send Authorization: Bearer <token>)'}; Ctrl-C stops`,
        );
        if (options.json) ctx.term.out(JSON.stringify({ url: handle.url }));
        await untilStopped();
        await handle.close();
      } finally {
        if (served.hub) {
          await served.hub.close();
          await served.hub.store.close();
        }
      }
    });
}
