import { calendarWindow, type Hub, type Nanos } from '@drawdown/core';
import type { KeyBudgetPeriod, KeyRecord } from './keys.js';
import { levelAccount } from './levels.js';

/** The ledger account of a key's own spend: `gateway-key:<id>`, a limit account held with each of its requests. */
export const keyAccount = (record: Pick<KeyRecord, 'id'>): string => levelAccount('key', record.id);

/** What a key spent in its budget's current window (its whole life for a lifetime budget). */
export interface KeySpent {
  /** Settled spend over the key's whole life. */
  spent: Nanos;
  /** Held by requests in flight. */
  held: Nanos;
  period: KeyBudgetPeriod;
  /** Settled spend in the current window; equals `spent` for a lifetime budget. */
  periodSpent: Nanos;
  /** When the current window ends (epoch ms); absent for a lifetime budget. */
  resetsAt?: number;
}

/**
 * What each key spent. A key's spend is its own limit account, held and settled with the route's
 * pool in one atomic store step (see `budgetLevels`), so this is a snapshot of that account: the
 * key's budget window is a calendar window of the hub's time zone, whose key every hold carries.
 */
export function keySpend(hub: Hub) {
  return {
    async spent(record: KeyRecord): Promise<KeySpent> {
      const now = hub.clock.now();
      const period = record.period ?? 'lifetime';
      const window = period === 'lifetime' ? undefined : calendarWindow(period, now, hub.timeZone);
      const snap = await hub.store.snapshot({
        account: keyAccount(record),
        now,
        ...(window && { scopes: [window.key] }),
      });
      return {
        spent: snap.settled.lifetime,
        held: snap.held,
        period,
        periodSpent: window ? (snap.settled[window.key] ?? 0) : snap.settled.lifetime,
        ...(window && { resetsAt: window.end }),
      };
    },
  };
}

export type KeySpend = ReturnType<typeof keySpend>;
