import { isDrawdownError, silentLogger, type AuthStrategy, type Hub } from '@drawdown/core';
import { describeFailure } from '../cli-error.js';
import { openHub } from '../hub/open-hub.js';
import { checkConfig, type ConfigCheck } from './check.js';
import type { LoadedConfig } from './load.js';
import type { ConfigProblem } from './types.js';

/** Every strategy a request can use: the route's, or all the file names when there is no route. */
function strategiesInUse(hub: Hub, loaded: LoadedConfig): Array<{ path: string; strategy: AuthStrategy }> {
  const ids =
    (loaded.config.route?.length ?? 0) > 0
      ? [...new Set(hub.router.entries.map((e) => e.strategy.id))]
      : Object.keys(loaded.config.strategies ?? {});
  return ids.map((id) => ({ path: `strategies.${id}`, strategy: hub.strategy(id) }));
}

/** The file's check, and how each strategy in use authenticates (never a secret). */
export interface SetupCheck extends ConfigCheck {
  credentials: Array<{ strategy: string; ready: boolean; detail: string }>;
}

/**
 * What `config check` reports beyond the file: the setup `status` and every request depend on.
 * The file is checked first (`checkConfig`); then the hub is opened exactly as `status` opens it
 * (the store connected, its schema applied as `status` would), and every strategy in use says
 * whether it can authenticate (a key variable that is unset is a problem, never its value). So a
 * check without problems means `status` works and its pools can be drawn.
 */
export async function checkSetup(
  loaded: LoadedConfig,
  options: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<SetupCheck> {
  const check = await checkConfig(loaded, options);
  if (check.problems.length > 0) return { ...check, credentials: [] };
  let hub: Hub;
  try {
    hub = await openHub(loaded, { ...options, logger: silentLogger });
  } catch (error) {
    if (!isDrawdownError(error)) throw error;
    const { hint } = describeFailure(error);
    return {
      problems: [{ path: 'store', message: error.message, ...(hint !== undefined && { hint }) }],
      credentials: [],
    };
  }
  const problems: ConfigProblem[] = [];
  const credentials: SetupCheck['credentials'] = [];
  try {
    for (const { path, strategy } of strategiesInUse(hub, loaded)) {
      const auth = await strategy.status();
      credentials.push({ strategy: strategy.id, ready: auth.ready, detail: auth.detail });
      if (!auth.ready)
        problems.push({ path, message: auth.detail, ...(auth.hint !== undefined && { hint: auth.hint }) });
    }
  } finally {
    await hub.close();
    await hub.store.close();
  }
  return problems.length > 0 ? { problems, credentials } : { ...check, credentials };
}
