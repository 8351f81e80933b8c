import type { PoolStatus } from '../contracts/pool.js';
import type { LedgerStore } from '../contracts/store.js';
import { LOOKBACK_MS, type SpendPoint } from './burn-rate.js';
import { forecastPool, type PoolForecast } from './forecast.js';

/** A pool's settled charges of the last 7 days, as spend points. */
export async function spendHistory(store: LedgerStore, account: string, now: number): Promise<SpendPoint[]> {
  const entries = await store.entries({ account, kinds: ['charge'] });
  return entries.flatMap((e) =>
    e.kind === 'charge' && e.record.settledAt > now - LOOKBACK_MS
      ? [{ at: e.record.settledAt, amount: e.record.cost }]
      : [],
  );
}

/**
 * Forecasts for pools whose statuses were just read: one mechanism behind `drawdown status`, MCP
 * `pool_status` and the dashboard, so each shows the same projection.
 */
export async function forecastPools(
  store: LedgerStore,
  statuses: readonly PoolStatus[],
  now: number,
): Promise<PoolForecast[]> {
  return Promise.all(
    statuses.map(async (status) =>
      forecastPool({
        status,
        history: status.kind === 'allowance' ? [] : await spendHistory(store, status.id, now),
        now,
      }),
    ),
  );
}
