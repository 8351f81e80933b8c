import { usd } from '@drawdown/core';
import { isRecord } from '@drawdown/core/internal';
import { reconcileOptionProblems, type ReportSource } from '@drawdown/core/reconcile';
import { configProblems } from './option-problems.js';
import type { ConfigProblem, ReconcileConfig } from './types.js';

export const DEFAULT_ADMIN_KEY_ENV = 'ANTHROPIC_ADMIN_KEY';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const known = new Set(['keys', 'adminKeyEnv', 'baseUrl', 'tolerance', 'reportingLagMinutes', 'everyMinutes', 'source']);

/** Problems of the `reconcile` section, each with its field path. */
export function checkReconcileConfig(value: unknown, pools: readonly string[]): ConfigProblem[] {
  if (value === undefined) return [];
  const problems: ConfigProblem[] = [];
  const problem = (path: string, message: string): void => void problems.push({ path: `reconcile${path}`, message });
  if (!isRecord(value)) {
    problem('', 'must be an object like {"keys": {"credits": "apikey_01…"}}');
    return problems;
  }
  for (const key of Object.keys(value)) {
    if (key === 'adminKey')
      problem(
        '.adminKey',
        `must not hold the key; name the variable instead: "adminKeyEnv": "${DEFAULT_ADMIN_KEY_ENV}"`,
      );
    else if (!known.has(key)) problem(`.${key}`, `is not a known setting; known: ${[...known].join(', ')}`);
  }
  // What reconciling itself refuses (no keys, an empty key id, an unknown source), by its own checker.
  problems.push(...configProblems('reconcile', reconcileOptionProblems({ keys: value.keys, source: value.source })));
  if (isRecord(value.keys))
    for (const [pool, id] of Object.entries(value.keys)) {
      if (!pools.includes(pool)) problem(`.keys.${pool}`, `names no pool; pools: ${pools.join(', ') || '(none)'}`);
      if (typeof id === 'string' && id.startsWith('sk-ant-'))
        problem(`.keys.${pool}`, 'is a key, not a key id: write the id the Console lists ("apikey_…"), never the key');
    }
  if (value.adminKeyEnv !== undefined && (typeof value.adminKeyEnv !== 'string' || !ENV_NAME.test(value.adminKeyEnv)))
    problem('.adminKeyEnv', `must be an environment variable name like "${DEFAULT_ADMIN_KEY_ENV}"`);
  if (value.baseUrl !== undefined && (typeof value.baseUrl !== 'string' || !/^https?:\/\/[^\s]+$/.test(value.baseUrl)))
    problem('.baseUrl', 'must be an http(s) URL like "https://api.anthropic.com"');
  if (value.tolerance !== undefined) {
    try {
      if (usd(value.tolerance as string) < 0) problem('.tolerance', 'must not be negative');
    } catch {
      problem('.tolerance', 'must be a USD amount like "0.01"');
    }
  }
  for (const field of ['reportingLagMinutes', 'everyMinutes'] as const) {
    const n = value[field];
    if (n !== undefined && !(Number.isSafeInteger(n) && (n as number) >= (field === 'everyMinutes' ? 1 : 0)))
      problem(`.${field}`, `must be a whole number of minutes${field === 'everyMinutes' ? ', 1 or more' : ''}`);
  }
  return problems;
}

/** How to read Anthropic's usage report, resolved from the section: what the reconcile command, MCP tool and gateway use. */
export interface ReconcileSettings {
  keys: Record<string, string>;
  /** Read at use, so a key exported later (or rotated) counts; never stored. */
  adminKey: () => string | undefined;
  adminKeyEnv: string;
  baseUrl?: string;
  toleranceNanos?: number;
  reportingLagMs?: number;
  everyMs?: number;
  source?: ReportSource;
}

export function reconcileSettings(
  config: ReconcileConfig | undefined,
  env: NodeJS.ProcessEnv,
): ReconcileSettings | undefined {
  if (config === undefined) return undefined;
  const adminKeyEnv = config.adminKeyEnv ?? DEFAULT_ADMIN_KEY_ENV;
  return {
    keys: config.keys,
    adminKey: () => env[adminKeyEnv] || undefined,
    adminKeyEnv,
    ...(config.baseUrl !== undefined && { baseUrl: config.baseUrl }),
    ...(config.tolerance !== undefined && { toleranceNanos: usd(config.tolerance) }),
    ...(config.reportingLagMinutes !== undefined && { reportingLagMs: config.reportingLagMinutes * 60_000 }),
    ...(config.everyMinutes !== undefined && { everyMs: config.everyMinutes * 60_000 }),
    ...(config.source !== undefined && { source: config.source }),
  };
}
