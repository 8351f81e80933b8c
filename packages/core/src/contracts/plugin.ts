import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import type { RateCard } from '../rate-card/rate-card.js';
import type { AuthStrategy } from './auth.js';
import type { Pool } from './pool.js';
import type { LedgerStore } from './store.js';

export type PluginKind = 'auth' | 'pool' | 'store' | 'notifier' | 'other';

/** Rollup scopes and report day for a charge happening at an instant, in the hub's time zone. */
export interface LedgerPlacement {
  /** `day:…`, `week:…`, `month:…` window keys (lifetime is implied). */
  scopes: string[];
  /** Local `YYYY-MM-DD`. */
  day: string;
}

/** What a plugin's `setup` receives. Plain data and functions: no `this`. */
export interface PluginContext {
  readonly pluginId: string;
  readonly store: LedgerStore;
  readonly rateCard: RateCard;
  readonly clock: Clock;
  /** IANA zone for calendar windows and reset times. */
  readonly timeZone: string;
  /** Default hold lifetime in ms. */
  readonly holdTtlMs: number;
  readonly logger: Logger;
  readonly events: EventBus;
  placement(at: number): LedgerPlacement;
  /** A registered pool; throws DRAWDOWN_UNKNOWN_REFERENCE if absent. */
  pool(id: string): Pool;
  strategy(id: string): AuthStrategy;
  /**
   * Re-reads a pool's status: emits `pool.reset` when it can pay again, schedules the reset timer, and
   * for a pool without `announcesAlerts` emits `pool.low` / `pool.exhausted` on a change.
   */
  refreshPool(id: string): Promise<void>;
}

/** What `setup` gives back: the pool or strategy it provides, and how to shut down. */
export interface PluginInstance {
  pool?: Pool;
  strategy?: AuthStrategy;
  close?(): void | Promise<void>;
}

/**
 * A plugin is a plain object made by a factory, checked with `satisfies DrawdownPlugin`:
 *
 * ```ts
 * export const myPool = (options: MyOptions) => ({
 *   id: options.id, kind: 'pool', setup(ctx) { return { pool: ... } },
 * }) satisfies DrawdownPlugin;
 * ```
 * Factories validate their options when called, naming the field that is wrong.
 */
export interface DrawdownPlugin {
  id: string;
  kind: PluginKind;
  /** Ids of plugins that must be registered before this one is set up. */
  dependencies?: string[];
  // biome-ignore lint/suspicious/noConfusingVoidType: a setup that returns nothing (sync or async) is typed `void`, which `undefined` would reject
  setup(ctx: PluginContext): void | PluginInstance | Promise<void | PluginInstance>;
}
