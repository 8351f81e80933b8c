import * as path from 'node:path';
import { isDrawdownError, type DrawdownPlugin, type RouteOptions } from '@drawdown/core';
import { problemFromError } from '../config/option-problems.js';
import type { ConfigProblem, DrawdownConfig } from '../config/types.js';
import { poolFactories, strategyFactories, type Factory, type FactoryContext } from './plugin-kinds.js';

export interface HubPlan {
  plugins: DrawdownPlugin[];
  route?: RouteOptions;
  problems: ConfigProblem[];
}

/**
 * Turns a validated configuration into plugins by calling each factory, which checks its own
 * options. A factory's complaint becomes a problem at the option's path (`pools.credits.reload.threshold`),
 * with the problem and fix its checker gave.
 */
export async function planHub(
  config: DrawdownConfig,
  options: { env: NodeJS.ProcessEnv; file?: string; cwd: string },
): Promise<HubPlan> {
  const ctx: FactoryContext = {
    env: options.env,
    baseDir: options.file !== undefined ? path.dirname(options.file) : options.cwd,
  };
  const problems: ConfigProblem[] = [];
  const plugins: DrawdownPlugin[] = [];
  const build = async (section: 'strategies' | 'pools', factories: Record<string, Factory>): Promise<void> => {
    for (const [id, entry] of Object.entries(config[section] ?? {})) {
      const { kind, ...rest } = entry as { kind: string };
      const factory = factories[kind];
      if (!factory) {
        problems.push({
          path: `${section}.${id}.kind`,
          message: `"${kind}" is not a kind this drawdown knows; use one of ${Object.keys(factories).join(', ')}`,
        });
        continue;
      }
      try {
        plugins.push(factory(id, rest, ctx));
      } catch (error) {
        if (!isDrawdownError(error)) throw error;
        problems.push(problemFromError(`${section}.${id}`, error));
      }
    }
  };
  await build('strategies', strategyFactories);
  await build('pools', poolFactories);
  plugins.push(...(config.plugins ?? []));
  return { plugins, ...(config.route && config.route.length > 0 && { route: { entries: config.route } }), problems };
}
