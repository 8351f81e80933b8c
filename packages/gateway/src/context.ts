import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '@drawdown/core';
import { drawdownMetrics, type DrawdownMetrics } from '@drawdown/metrics';
import { keySpend, type KeySpend } from './key-budget.js';
import type { KeyRecord } from './keys.js';
import { keyRateLimiter, type KeyRateLimiter } from './rate-limits.js';
import { budgetLevels, type BudgetHierarchy, type BudgetLevels } from './levels.js';
import { messageOf } from './http.js';
import type { GatewaySettings } from './options.js';
import { createUpstream, type Upstream, type UpstreamOptions } from './upstream.js';

/** What every job of the gateway shares: built once per gateway, handed to each module. */
export interface GatewayContext {
  readonly hub: Hub;
  readonly settings: GatewaySettings;
  readonly upstream: Upstream;
  /** What each key spent (read from its limit account). */
  readonly spend: KeySpend;
  /** What `/metrics` reports: refusals, latency and upstream statuses seen here; spend and holds from the ledger. */
  readonly metrics: DrawdownMetrics;
  /** Each key's requests and tokens per minute, counted in the store. */
  readonly rates: KeyRateLimiter;
  /** The budget levels each key's requests hold (the key, its user, team and organisation). */
  readonly levels: BudgetLevels;
  /** Entries a key may not use: those outside its list, and delegated ones (no credentials to forward). */
  excludedFor(record: KeyRecord): ReadonlySet<string>;
  /** Keeps work that finishes after the answer went out (a settle); `idle()` waits for it. */
  track(work: Promise<unknown>): void;
  /** Resolves when every tracked piece of work has finished. */
  idle(): Promise<void>;
}

/** One request a job serves: the exchange, the key it came with and its normalised target. */
export interface GatewayCall {
  req: IncomingMessage;
  res: ServerResponse;
  record: KeyRecord;
  /** Path and query, as forwarded upstream. */
  target: string;
}

export function createGatewayContext(
  hub: Hub,
  settings: GatewaySettings,
  upstreamOptions: UpstreamOptions | undefined,
  budgets: BudgetHierarchy | undefined,
): GatewayContext {
  const levels = budgetLevels(hub, budgets);
  const pending = new Set<Promise<unknown>>();
  const excluded = new WeakMap<KeyRecord, Set<string>>();
  return {
    hub,
    settings,
    upstream: createUpstream(upstreamOptions),
    spend: keySpend(hub),
    rates: keyRateLimiter(hub.store, () => hub.clock.now()),
    metrics: drawdownMetrics({ hub, server: 'gateway' }),
    levels,
    excludedFor(record) {
      let set = excluded.get(record);
      if (!set) {
        const allowed = new Set(record.routes);
        set = new Set(
          hub.router.entries.filter((e) => !allowed.has(e.id) || e.strategy.kind === 'delegated').map((e) => e.id),
        );
        excluded.set(record, set);
      }
      return set;
    },
    track(work) {
      const settled = work
        .catch((error: unknown) => hub.logger.warn(`gateway: recording a request failed: ${messageOf(error)}`))
        .finally(() => pending.delete(settled));
      pending.add(settled);
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
