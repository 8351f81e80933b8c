import type { Hub, Nanos } from '@drawdown/core';
import { reportTotals } from '@drawdown/core/internal';
import { keyAccount } from './key-budget.js';
import { keyManager } from './keys.js';

/** What one gateway key spent over a range of local days. */
export interface KeySpendRow {
  /** The key's name (`drawdown keys list`). */
  key: string;
  /** The key's id (the public part of the key). */
  id: string;
  cost: Nanos;
  /** Set when the key has been revoked since. */
  revoked?: true;
}

/** Spend per gateway key over `fromDay` through `toDay`, beside the pools' total over the same days. */
export interface KeySpendReport {
  fromDay: string;
  toDay: string;
  timeZone: string;
  /** Keys that spent anything in the range, largest first. */
  rows: KeySpendRow[];
  /** What the pools were charged in the range without a gateway key (the metered client, `drawdown run`...). */
  withoutKey: Nanos;
  /** Σ pool spend in the range: what `drawdown report` and `status` count. Equals Σ rows + `withoutKey`. */
  total: Nanos;
}

const DAY_MS = 86_400_000;

/**
 * Spend per gateway key, read from each key's limit account. A key's account mirrors what its
 * requests charged to the pools, so it is never added to the pools' spend: `total` is the pools'
 * own, and the keys' rows split it, with what no key carried as `withoutKey`. A limit account
 * records totals per local day of the hub's time zone (a scope every hold carries), so the range
 * is read as the sum of its days.
 */
export async function keySpendReport(hub: Hub, range: { fromDay: string; toDay: string }): Promise<KeySpendReport> {
  const now = hub.clock.now();
  // A day's rollup scope is its calendar window's stable key, `day:YYYY-MM-DD@zone`.
  const dayScopes: string[] = [];
  for (let t = Date.parse(`${range.fromDay}T00:00:00Z`); dayScopes.length < 3660; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    if (day > range.toDay) break;
    dayScopes.push(`day:${day}@${hub.timeZone}`);
  }
  const rows: KeySpendRow[] = [];
  for (const record of await keyManager(hub.store).list()) {
    const snap = await hub.store.snapshot({ account: keyAccount(record), now, scopes: dayScopes });
    const cost = dayScopes.reduce((sum, scope) => sum + (snap.settled[scope] ?? 0), 0);
    if (cost > 0)
      rows.push({ key: record.name, id: record.id, cost, ...(record.revokedAt !== undefined && { revoked: true }) });
  }
  rows.sort((a, b) => b.cost - a.cost || a.key.localeCompare(b.key));
  const total = reportTotals(await hub.report({ ...range, groupBy: [] })).cost;
  const keyed = rows.reduce((sum, row) => sum + row.cost, 0);
  return { ...range, timeZone: hub.timeZone, rows, withoutKey: total - keyed, total };
}
