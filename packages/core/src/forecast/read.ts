import type { PoolStatus } from '../contracts/pool.js';
import type { LedgerStore, SpendHour } from '../contracts/store.js';
import { LOOKBACK_MS, type SpendPoint } from './burn-rate.js';
import { forecastPool, type PoolForecast } from './forecast.js';

/**
 * A pool's settled spend of the last 7 days, as spend points: one per hour, at its cost-weighted
 * mean instant, read from the store's per-hour sums so the cost does not grow with the ledger.
 * The earliest charge stays a point of its own, because the rate treats it only as the moment
 * observation began. Within an hour the weight of each charge is taken at the mean instant: for
 * the 3-hour half-life that differs from charge-by-charge weights by under 1% (0.2% for charges
 * spread evenly over the hour).
 */
export async function spendHistory(store: LedgerStore, account: string, now: number): Promise<SpendPoint[]> {
  const hours = await store.spendByHour({ account, since: now - LOOKBACK_MS });
  return hours.flatMap((hour, i) => (i === 0 ? splitFirstCharge(hour) : [hourPoint(hour)]));
}

const hourPoint = (hour: SpendHour): SpendPoint => ({
  at: Math.round(hour.start + hour.costMs / hour.cost),
  amount: hour.cost,
  charges: hour.charges,
});

/** The earliest hour as its first charge, then the rest of the hour. */
function splitFirstCharge(hour: SpendHour): SpendPoint[] {
  const first: SpendPoint = { at: hour.firstAt, amount: hour.firstCost };
  const cost = hour.cost - hour.firstCost;
  if (hour.charges === 1 || cost <= 0) return [first];
  const costMs = hour.costMs - hour.firstCost * (hour.firstAt - hour.start);
  // Never before the first charge, whatever rounding did to the sums.
  const at = Math.max(hour.firstAt, Math.round(hour.start + costMs / cost));
  return [first, { at, amount: cost, charges: hour.charges - 1 }];
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
