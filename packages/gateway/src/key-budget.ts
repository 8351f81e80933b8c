import { DrawdownError, formatUsd, type Hub, type Limit, type Nanos } from '@drawdown/core';
import { GatewayErrorCodes } from './errors.js';
import type { KeyRecord } from './keys.js';

/** The ledger account of a key's own spend: `gateway-key:<id>`. */
export const keyAccount = (record: Pick<KeyRecord, 'id'>): string => `gateway-key:${record.id}`;

/**
 * Each key's spend is its own ledger account, held and settled next to the route's pool, so a
 * key's budget is checked and reserved in one atomic store step like any budget pool (across
 * processes and hosts on a shared store) and `keys list` shows what each key spent.
 */
export function keySpend(hub: Hub, holdTtlMs: number) {
  const limitsFor = (record: KeyRecord): Limit[] =>
    record.budget === undefined
      ? []
      : [{ kind: 'cap', name: `key "${record.name}" budget`, scope: 'lifetime', cap: record.budget }];

  // A key without a budget has nothing to check before a request: its spend is recorded at settle
  // (with the day and scopes a hold would have carried), which saves two store writes per request.
  return {
    async reserve(record: KeyRecord, requestId: string, amount: Nanos): Promise<void> {
      if (record.budget === undefined) return;
      const now = hub.clock.now();
      const placement = hub.placement(now);
      const result = await hub.store.reserve({
        account: keyAccount(record),
        key: requestId,
        amount,
        ttlMs: holdTtlMs,
        now,
        limits: limitsFor(record),
        scopes: placement.scopes,
        day: placement.day,
        meta: { requestId, client: record.name },
      });
      if (result.ok) return;
      throw new DrawdownError(
        GatewayErrorCodes.KEY_BUDGET_EXHAUSTED,
        `key "${record.name}" budget of ${formatUsd(record.budget ?? 0)}: ${formatUsd(Math.max(0, result.available))} left, this request holds up to ${formatUsd(amount)} (a lower max_tokens needs less); it does not reset — raise it with a new key`,
        { data: { key: record.name, limit: result.limit, available: result.available, requested: amount } },
      );
    },
    async settle(record: KeyRecord, requestId: string, cost: Nanos, model: string | undefined): Promise<void> {
      const now = hub.clock.now();
      const unheld = record.budget === undefined ? hub.placement(now) : undefined;
      await hub.store.settle({
        account: keyAccount(record),
        key: requestId,
        cost,
        now,
        meta: { requestId, client: record.name, ...(model !== undefined && { model }) },
        ...(unheld && { scopes: unheld.scopes, day: unheld.day }),
      });
    },
    async release(record: KeyRecord, requestId: string): Promise<void> {
      if (record.budget === undefined) return;
      await hub.store.release({ account: keyAccount(record), key: requestId, now: hub.clock.now() });
    },
    async spent(record: KeyRecord): Promise<{ spent: Nanos; held: Nanos }> {
      const snap = await hub.store.snapshot({ account: keyAccount(record), now: hub.clock.now() });
      return { spent: snap.settled.lifetime, held: snap.held };
    },
  };
}

export type KeySpend = ReturnType<typeof keySpend>;
