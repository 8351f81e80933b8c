import { checkRateCardConfig, isDrawdownError, usd } from '@drawdown/core';
import { checkBudgetHierarchy } from '@drawdown/gateway/budgets';
import { checkReconcileConfig } from './reconcile.js';
import type { ConfigProblem, DrawdownConfig } from './types.js';
import { isRecord } from '@drawdown/core/internal';

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
export const strategyKinds = ['apiKey', 'delegated', 'oauth'] as const;
export const poolKinds = ['budget', 'payAsYouGo', 'credits', 'planAllowance'] as const;
const secretLike = /^(key|apiKey|token|accessToken|refreshToken|secret|clientSecret|password)$/;

const describe = (value: unknown): string =>
  Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'string' ? `"${value}"` : typeof value;

/**
 * Checks the whole configuration and returns every problem with its field path, so one run of
 * `drawdown config check` shows all of them. Plugin-specific options are checked by the plugin
 * factories themselves when the hub is built (see `planHub`).
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

  if (config.timeZone !== undefined) {
    if (typeof config.timeZone !== 'string')
      problem('timeZone', `must be an IANA zone name like "Europe/Berlin", not ${describe(config.timeZone)}`);
    else {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: config.timeZone });
      } catch {
        problem(
          'timeZone',
          `"${config.timeZone}" is not an IANA time zone; use a name like "UTC" or "America/New_York"`,
        );
      }
    }
  }
  if (config.holdTtlMs !== undefined && !(Number.isSafeInteger(config.holdTtlMs) && (config.holdTtlMs as number) > 0)) {
    problem('holdTtlMs', `must be a positive whole number of milliseconds, not ${describe(config.holdTtlMs)}`);
  }

  if (config.store !== undefined) {
    const store = config.store;
    if (!isRecord(store)) problem('store', `must be an object like {"kind": "sqlite"}, not ${describe(store)}`);
    else if (store.kind === 'sqlite') {
      if (store.file !== undefined && (typeof store.file !== 'string' || store.file === ''))
        problem('store.file', 'must be a file path');
    } else if (store.kind === 'postgres') {
      if (typeof store.connectionString !== 'string' || !/^postgres(ql)?:\/\//.test(store.connectionString)) {
        problem('store.connectionString', 'must be a URL like "postgres://user@host:5432/db"');
      }
      if (store.schema !== undefined && (typeof store.schema !== 'string' || !/^[a-z_][a-z0-9_]*$/i.test(store.schema)))
        problem('store.schema', 'must be a plain identifier like "drawdown"');
    } else if (store.kind !== 'memory')
      problem('store.kind', `is ${describe(store.kind)}; use "sqlite", "postgres" or "memory"`);
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
      if (
        entry.kind === 'apiKey' &&
        entry.envVar !== undefined &&
        (typeof entry.envVar !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.envVar))
      ) {
        problem(`${path}.envVar`, `must be a variable name like "ANTHROPIC_API_KEY", not ${describe(entry.envVar)}`);
      }
      if (entry.kind === 'budget') checkBudget(path, entry, problem);
    }
    return ids;
  };
  const strategyIds = checkIds('strategies', strategyKinds);
  const poolIds = checkIds('pools', poolKinds);
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
  for (const p of checkRateCardConfig(config.rateCard)) problem(p.field, `${p.problem}; ${p.fix}`);
  const pools = isRecord(config.pools) ? Object.keys(config.pools) : [];
  for (const p of checkReconcileConfig(config.reconcile, pools)) problem(p.path, p.message);
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

function checkBudget(
  path: string,
  entry: Record<string, unknown>,
  problem: (path: string, message: string) => void,
): void {
  if (entry.amount === undefined) problem(`${path}.amount`, 'is missing; write the capped amount in USD like "10.00"');
  else {
    try {
      if (usd(entry.amount as string) <= 0) problem(`${path}.amount`, 'must be more than zero');
    } catch {
      problem(`${path}.amount`, `is ${describe(entry.amount)}, not a USD amount; write it like "10.00"`);
    }
  }
  if (entry.period !== undefined && !['lifetime', 'day', 'week', 'month'].includes(entry.period as string)) {
    problem(`${path}.period`, `is ${describe(entry.period)}; use "lifetime", "day", "week" or "month"`);
  }
}

/** Narrowing after validation. */
export function asConfig(raw: unknown): DrawdownConfig {
  return raw as DrawdownConfig;
}
