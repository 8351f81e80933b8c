import {
  calendarWindow,
  formatResetTime,
  formatUsd,
  type AccountLimit,
  type AccountSnapshot,
  type CalendarWindow,
  type Nanos,
  type Refused,
} from '@drawdown/core';
import type { CreditsConfig } from './options.js';

export const BALANCE_LIMIT = 'credit balance';
export const MONTHLY_LIMIT = 'monthly spend limit';
export const DAILY_LIMIT = 'daily redemption ceiling';

export interface CapWindow {
  /** Stable id, carried by refusals as `data.limitId`. */
  id: 'monthly-limit' | 'daily-ceiling';
  name: string;
  cap: Nanos;
  window: CalendarWindow;
}

/** The calendar caps in force at an instant (hub time zone): monthly spend limit, daily ceiling. */
export function capsAt(config: CreditsConfig, now: number, timeZone: string): CapWindow[] {
  const caps: CapWindow[] = [];
  if (config.monthlyLimit !== undefined)
    caps.push({
      id: 'monthly-limit',
      name: MONTHLY_LIMIT,
      cap: config.monthlyLimit,
      window: calendarWindow('month', now, timeZone),
    });
  if (config.dailyCeiling !== undefined)
    caps.push({
      id: 'daily-ceiling',
      name: DAILY_LIMIT,
      cap: config.dailyCeiling,
      window: calendarWindow('day', now, timeZone),
    });
  return caps;
}

/** Limits checked atomically at reservation: caps first (funds would not help), then the balance. */
export function limitsFor(caps: CapWindow[]): AccountLimit[] {
  return [
    ...caps.map(
      (c): AccountLimit => ({
        kind: 'cap',
        id: c.id,
        name: c.name,
        scope: c.window.key,
        cap: c.cap,
        resetsAt: c.window.end,
      }),
    ),
    { kind: 'balance', id: 'balance', name: BALANCE_LIMIT },
  ];
}

/** Funds in the wallet: unexpired grant remainders less any overdraft. Holds are not subtracted. */
export const balanceOf = (snap: AccountSnapshot): Nanos => snap.granted - snap.overdraft;

/**
 * Total funding of the wallet's live grants: grants ever added minus expired remainders. Settles
 * do not change it; a new grant or an expiry does. Alert episodes are keyed by it.
 */
export const fundingOf = (snap: AccountSnapshot): Nanos => snap.granted + snap.settled.lifetime - snap.overdraft;

/** What a refused reservation says: the cap and its reset, or the balance and what would refill it. */
export function refusalMessage(label: string, refused: Refused, timeZone: string, reloading: boolean): string {
  const { limit, available, requested, now } = refused;
  const needs = `this request needs ${formatUsd(requested)} held but only ${formatUsd(Math.max(0, available))} is left`;
  return limit.kind === 'cap'
    ? `${label}: the ${limit.name} of ${formatUsd(limit.cap)} is reached; ${needs}; it resets ${formatResetTime(limit.resetsAt!, timeZone, now)}`
    : `${label}: the credit balance is too low; ${needs}; ${reloading ? 'an automatic reload is on its way' : 'add funds or turn on auto-reload'}`;
}
