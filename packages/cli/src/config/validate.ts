import { checkRateCardConfig, isDrawdownError } from '@drawdown/core';
import { hubOptionProblems, isRecord } from '@drawdown/core/internal';
import { checkBudgetHierarchy } from '@drawdown/gateway/budgets';
import { poolFactories, strategyFactories } from '../hub/plugin-kinds.js';
import { storeKinds } from '../hub/store.js';
import { configProblems } from './option-problems.js';
import { checkReconcileConfig } from './reconcile.js';
import type { ConfigProblem, DrawdownConfig } from './types.js';

const topLevelKeys = new Set([
  '$schema',
  'timeZone',
  'store',
  'strategies',
  'pools',
  'route',
  'rateCard',
  'holdTtlMs',
  'budgets',
  'plugins',
  'reconcile',
]);
const idPattern = /^[a-z0-9][a-z0-9._-]*$/i;
const secretLike = /^(key|apiKey|token|accessToken|refreshToken|secret|clientSecret|password)$/;

const describe = (value: unknown): string =>
  Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'string' ? `"${value}"` : typeof value;

/**
 * Checks the whole configuration and returns every problem with its field path, so one run of
 * `drawdown config check` shows all of them. What only a configuration file can get wrong (unknown
 * settings, secrets written into it, ids naming each other, route entries) is checked here; each
 * option's own rule is checked by the module that owns it: the hub's settings, the rate card, the
 * reconcile keys and the budget hierarchy by their checkers (called here), the store's by its
 * package and each pool's and strategy's by its plugin factory (both in `checkConfig`).
 */
export function validateConfig(raw: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (path: string, message: string): void => void problems.push({ path, message });
  if (!isRecord(raw)) {
    problem('(root)', `must be an object, not ${describe(raw)}`);
    return problems;
  }
  const config = raw as Record<string, unknown>;
  for (const key of Object.keys(config))
    if (!topLevelKeys.has(key))
      problem(key, `is not a known setting; known: ${[...topLevelKeys].filter((k) => k !== '$schema').join(', ')}`);

  problems.push(...configProblems('', hubOptionProblems({ timeZone: config.timeZone, holdTtlMs: config.holdTtlMs })));

  if (config.store !== undefined) {
    const store = config.store;
    if (!isRecord(store)) problem('store', `must be an object like {"kind": "sqlite"}, not ${describe(store)}`);
    else if (!storeKinds.includes(store.kind as string))
      problem('store.kind', `is ${describe(store.kind)}; use ${storeKinds.map((k) => `"${k}"`).join(', ')}`);
  }

  const checkIds = (section: 'strategies' | 'pools', kinds: readonly string[]): Set<string> => {
    const ids = new Set<string>();
    const value = config[section];
    if (value === undefined) return ids;
    if (!isRecord(value)) {
      problem(section, `must be an object keyed by id, not ${describe(value)}`);
      return ids;
    }
    for (const [id, entry] of Object.entries(value)) {
      const path = `${section}.${id}`;
      ids.add(id);
      if (!idPattern.test(id)) problem(path, 'id must be letters, digits, ".", "_" or "-"');
      if (!isRecord(entry)) {
        problem(path, `must be an object with a "kind", not ${describe(entry)}`);
        continue;
      }
      if (!kinds.includes(entry.kind as string))
        problem(`${path}.kind`, `is ${describe(entry.kind)}; use one of ${kinds.map((k) => `"${k}"`).join(', ')}`);
      for (const key of Object.keys(entry)) {
        if (secretLike.test(key))
          problem(
            `${path}.${key}`,
            'looks like a secret; secrets never go in the config file — name the environment variable that holds it instead (e.g. "envVar")',
          );
      }
    }
    return ids;
  };
  const strategyIds = checkIds('strategies', Object.keys(strategyFactories));
  const poolIds = checkIds('pools', Object.keys(poolFactories));
  for (const id of strategyIds)
    if (poolIds.has(id))
      problem(
        `pools.${id}`,
        `uses the id of strategy "${id}"; give pools and strategies different ids (e.g. "${id}-pool")`,
      );

  const pluginIds = new Set<string>();
  if (config.plugins !== undefined) {
    if (!Array.isArray(config.plugins))
      problem('plugins', 'must be a list of plugin objects (drawdown.config.ts only)');
    else
      config.plugins.forEach((plugin: unknown, i) => {
        if (!isRecord(plugin) || typeof plugin.id !== 'string' || typeof plugin.setup !== 'function')
          problem(`plugins[${i}]`, 'is not a plugin: expected { id, kind, setup() }');
        else pluginIds.add(plugin.id);
      });
  }

  if (config.route !== undefined) {
    if (!Array.isArray(config.route))
      problem('route', `must be an ordered list of { id, strategy, pool } entries, not ${describe(config.route)}`);
    else {
      const seen = new Set<string>();
      config.route.forEach((entry: unknown, i) => {
        const path = `route[${i}]`;
        if (!isRecord(entry)) {
          problem(path, `must be an object { id, strategy, pool }, not ${describe(entry)}`);
          return;
        }
        if (typeof entry.id !== 'string' || !idPattern.test(entry.id))
          problem(`${path}.id`, 'is missing; give each entry a short id like "trial"');
        else if (seen.has(entry.id)) problem(`${path}.id`, `repeats "${entry.id}"; entry ids must be unique`);
        else seen.add(entry.id);
        // Custom plugins (TypeScript configs) may provide pools or strategies under their own ids.
        if (typeof entry.strategy !== 'string') problem(`${path}.strategy`, 'is missing; name a strategy id');
        else if (!strategyIds.has(entry.strategy) && pluginIds.size === 0)
          problem(
            `${path}.strategy`,
            `names "${entry.strategy}", which is not in strategies (${[...strategyIds].join(', ') || 'none'})`,
          );
        if (typeof entry.pool !== 'string') problem(`${path}.pool`, 'is missing; name a pool id');
        else if (!poolIds.has(entry.pool) && pluginIds.size === 0)
          problem(
            `${path}.pool`,
            `names "${entry.pool}", which is not in pools (${[...poolIds].join(', ') || 'none'})`,
          );
        for (const flag of ['requiresOptIn', 'optedIn', 'sticky'] as const) {
          if (entry[flag] !== undefined && typeof entry[flag] !== 'boolean')
            problem(`${path}.${flag}`, 'must be true or false');
        }
      });
    }
  }

  // The rate card checks its own section: every override row, category and date, and the unknown-model policy.
  problems.push(...configProblems('', checkRateCardConfig(config.rateCard)));
  const pools = isRecord(config.pools) ? Object.keys(config.pools) : [];
  problems.push(...checkReconcileConfig(config.reconcile, pools));
  // So does the gateway's budget hierarchy (its first problem, with the field it names).
  if (config.budgets !== undefined) {
    try {
      checkBudgetHierarchy(config.budgets);
    } catch (error) {
      if (!isDrawdownError(error)) throw error;
      const field = typeof error.data.field === 'string' ? error.data.field : 'budgets';
      problem(field, error.message.replace(`gateway: ${field} `, ''));
    }
  }
  return problems;
}

/** Narrowing after validation. */
export function asConfig(raw: unknown): DrawdownConfig {
  return raw as DrawdownConfig;
}
