import type { Command } from 'commander';
import type { Hub } from '@drawdown/core';
import { loadConfig, type LoadedConfig } from './config/load.js';
import type { CliContext } from './context.js';
import { describeStore } from './hub/store.js';
import { openHub } from './hub/open-hub.js';
import { withProgress } from './render/progress.js';

/** Loads the configuration named by `--config`, `DRAWDOWN_CONFIG` or found near the working directory. */
export function loadFor(ctx: CliContext, command: Command): Promise<LoadedConfig> {
  const { config } = command.optsWithGlobals<{ config?: string }>();
  return loadConfig({ ...(config !== undefined && { explicit: config }), cwd: ctx.cwd, env: ctx.env });
}

/**
 * True when no configuration file was found: the commands then show the zero-configuration view
 * (what Claude Code spent here, which pools tools draw) instead of failing.
 */
export function isZeroConfig(loaded: LoadedConfig): boolean {
  return loaded.file === undefined;
}

/** Runs `fn` with a hub built from the configuration and always closes it (and its store) after. */
export async function withHub<T>(
  ctx: CliContext,
  command: Command,
  fn: (hub: Hub, loaded: LoadedConfig) => Promise<T>,
): Promise<T> {
  return withLoadedHub(ctx, await loadFor(ctx, command), fn);
}

/** `withHub` for a configuration already loaded; `ledgerOnly` opens a hub without pools (a ledger to report on). */
export async function withLoadedHub<T>(
  ctx: CliContext,
  loaded: LoadedConfig,
  fn: (hub: Hub, loaded: LoadedConfig) => Promise<T>,
  options: { ledgerOnly?: boolean } = {},
): Promise<T> {
  const hub = await withProgress(ctx.term, `opening the ledger (${describeStore(loaded.config.store, ctx.env)})`, () =>
    openHub(loaded, { env: ctx.env, cwd: ctx.cwd, ...options }),
  );
  try {
    return await fn(hub, loaded);
  } finally {
    await hub.close();
    await hub.store.close();
  }
}
