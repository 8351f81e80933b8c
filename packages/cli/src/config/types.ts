import type { DrawdownPlugin, ModelPriceInput, UnknownModelPolicy } from '@drawdown/core';
import type { BudgetHierarchy } from '@drawdown/gateway/budgets';

/** Where the ledger lives. Default: the embedded SQLite file. */
export type StoreConfig =
  | { kind: 'sqlite' /** Database file; default: the user's data directory. */; file?: string }
  | { kind: 'postgres'; connectionString: string /** Schema for drawdown's tables. */; schema?: string }
  | { kind: 'memory' };

/** An auth strategy by kind; plugin options other than `kind` go to the plugin's factory as they are. */
export type StrategyConfig =
  | {
      kind: 'apiKey' /** Variable the key is read from at use. Default ANTHROPIC_API_KEY. Keys never go in the file. */;
      envVar?: string;
    }
  | { kind: 'delegated'; [option: string]: unknown }
  | {
      kind: 'oauth';
      issuer: string;
      clientId: string /** Variable holding the client secret, for a confidential client. */;
      clientSecretEnv?: string;
      [option: string]: unknown;
    };

/** A pool by kind; options other than `kind` go to the plugin's factory as they are. */
export type PoolConfig =
  | {
      kind: 'budget';
      amount: string | number;
      period?: 'lifetime' | 'day' | 'week' | 'month';
      lowAt?: number;
      alertsAt?: number[];
      label?: string;
    }
  | { kind: 'payAsYouGo'; monthlyCap?: string | number; cooldownMs?: number }
  | {
      kind: 'credits' /** Only "manual" in JSON; other providers from drawdown.config.ts `plugins`. */;
      provider?: 'manual';
      [option: string]: unknown;
    }
  | { kind: 'planAllowance'; [option: string]: unknown };

export interface RouteEntryConfig {
  id: string;
  strategy: string;
  pool: string;
  requiresOptIn?: boolean;
  optedIn?: boolean;
  sticky?: boolean;
  label?: string;
}

/** The shape of `drawdown.config.json` (and the default export of `drawdown.config.ts`). */
export interface DrawdownConfig {
  /** JSON schema reference; ignored. */
  $schema?: string;
  /** IANA zone for daily/weekly/monthly windows and reports. Default UTC. */
  timeZone?: string;
  store?: StoreConfig;
  /** Auth strategies by id. */
  strategies?: Record<string, StrategyConfig>;
  /** Pools by id (distinct from strategy ids). */
  pools?: Record<string, PoolConfig>;
  /** Ordered route entries: which pool pays first, and what comes after. */
  route?: RouteEntryConfig[];
  /** Price rows added or replacing built-in ones (every category, effective dates), and what to do with unknown models. */
  rateCard?: { overrides?: ModelPriceInput[]; unknownModel?: UnknownModelPolicy };
  /** Hold lifetime in ms. Default 15 minutes. */
  holdTtlMs?: number;
  /** Organisations, teams and users with their budgets, held with every gateway request of their keys. */
  budgets?: BudgetHierarchy;
  /** Extra plugins (TypeScript configs only): your own pools or strategies, referenced by id in `route`. */
  plugins?: DrawdownPlugin[];
  /** Checking the ledger against Anthropic's usage report (`drawdown reconcile`). */
  reconcile?: ReconcileConfig;
}

/** `reconcile` in drawdown.config.json: how to read Anthropic's usage report for this ledger. */
export interface ReconcileConfig {
  /** Anthropic API key id (`apikey_…`, as the Console lists it) of the key each pool draws on. */
  keys: Record<string, string>;
  /** Variable the Admin key is read from at use. Default ANTHROPIC_ADMIN_KEY. The key never goes in the file. */
  adminKeyEnv?: string;
  /** Default `https://api.anthropic.com`. */
  baseUrl?: string;
  /** Dollar drift per group that still counts as a match. Default "0.01". */
  tolerance?: string;
  /** Which report to read: "admin" (default), "analytics" (beta) or "auto" (analytics, else admin). */
  source?: 'admin' | 'analytics' | 'auto';
  /** Minutes after a bucket ends before its numbers are final. Default 60. */
  reportingLagMinutes?: number;
  /** `drawdown gateway` reconciles this often (minutes) and raises `reconcile.drift` beyond the tolerance; off when absent. */
  everyMinutes?: number;
}

/** One thing wrong with the configuration, with the path of the field. */
export interface ConfigProblem {
  /** Dotted path, e.g. `pools.trial.amount` or `route[1].pool`. */
  path: string;
  message: string;
  /** What fixes it, when the message alone does not say. */
  hint?: string;
}

/** Typed helper for `drawdown.config.ts`: `export default defineConfig({ ... })`. */
export function defineConfig(config: DrawdownConfig): DrawdownConfig {
  return config;
}
