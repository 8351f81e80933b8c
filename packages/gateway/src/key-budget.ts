import {
  DrawdownError,
  calendarWindow,
  formatResetTime,
  formatUsd,
  type Hub,
  type Limit,
  type Nanos,
} from '@drawdown/core';
import { GatewayErrorCodes } from './errors.js';
import type { KeyBudgetPeriod, KeyRecord } from './keys.js';

type CapLimit = Extract<Limit, { kind: 'cap' }>;

/** The ledger account of a key's own spend: `gateway-key:<id>`. */
export const keyAccount = (record: Pick<KeyRecord, 'id'>): string => `gateway-key:${record.id}`;

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

const windowWords: Record<Exclude<KeyBudgetPeriod, 'lifetime'>, string> = { day: 'today', month: 'this month' };

/**
 * Each key's spend is its own ledger account, held and settled next to the route's pool, so a
 * key's budget is checked and reserved in one atomic store step like any budget pool (across
 * processes and hosts on a shared store) and `keys list` shows what each key spent. A day or month
 * budget is a cap on the hub's calendar window (its time zone), whose key every hold and settle
 * already carries in its scopes, so the window rolls over at local midnight with no reset step.
 */
export function keySpend(hub: Hub, holdTtlMs: number) {
  const periodOf = (record: KeyRecord): KeyBudgetPeriod => record.period ?? 'lifetime';
  const limitAt = (record: KeyRecord, cap: Nanos, now: number): CapLimit => {
    const name = `key "${record.name}" budget`;
    const period = periodOf(record);
    if (period === 'lifetime') return { kind: 'cap', name, scope: 'lifetime', cap };
    const window = calendarWindow(period, now, hub.timeZone);
    return { kind: 'cap', name, scope: window.key, cap, resetsAt: window.end };
  };

  const refusal = (record: KeyRecord, limit: CapLimit, available: Nanos, amount: Nanos, now: number): string => {
    const period = periodOf(record);
    const cap = formatUsd(limit.cap);
    if (period === 'lifetime' || limit.resetsAt === undefined) {
      return `key "${record.name}" budget of ${cap}: ${formatUsd(Math.max(0, available))} left, this request holds up to ${formatUsd(amount)} (a lower max_tokens needs less); it does not reset — raise it with a new key`;
    }
    const resets = `resets ${formatResetTime(limit.resetsAt, hub.timeZone, now)}`;
    const budgetWords = `key "${record.name}" budget of ${cap} for ${windowWords[period]}`;
    return available <= 0
      ? `${budgetWords} used; ${resets}`
      : `${budgetWords}: ${formatUsd(available)} left, this request holds up to ${formatUsd(amount)} (a lower max_tokens needs less); ${resets}`;
  };

  // A key without a budget has nothing to check before a request: its spend is recorded at settle
  // (with the day and scopes a hold would have carried), which saves two store writes per request.
  return {
    async reserve(record: KeyRecord, requestId: string, amount: Nanos): Promise<void> {
      if (record.budget === undefined) return;
      const now = hub.clock.now();
      const placement = hub.placement(now);
      const limit = limitAt(record, record.budget, now);
      const result = await hub.store.reserve({
        account: keyAccount(record),
        key: requestId,
        amount,
        ttlMs: holdTtlMs,
        now,
        limits: [limit],
        scopes: placement.scopes,
        day: placement.day,
        meta: { requestId, client: record.name },
      });
      if (result.ok) return;
      throw new DrawdownError(
        GatewayErrorCodes.KEY_BUDGET_EXHAUSTED,
        refusal(record, limit, result.available, amount, now),
        {
          data: {
            key: record.name,
            limit: result.limit,
            period: periodOf(record),
            available: result.available,
            requested: amount,
            ...(limit.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
          },
        },
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
    async spent(record: KeyRecord): Promise<KeySpent> {
      const now = hub.clock.now();
      const period = periodOf(record);
      const limit = period === 'lifetime' ? undefined : limitAt(record, record.budget ?? 0, now);
      const snap = await hub.store.snapshot({
        account: keyAccount(record),
        now,
        ...(limit && { scopes: [limit.scope] }),
      });
      return {
        spent: snap.settled.lifetime,
        held: snap.held,
        period,
        periodSpent: limit ? (snap.settled[limit.scope] ?? 0) : snap.settled.lifetime,
        ...(limit?.resetsAt !== undefined && { resetsAt: limit.resetsAt }),
      };
    },
  };
}

export type KeySpend = ReturnType<typeof keySpend>;
