import { calendarWindow, DrawdownError, ErrorCodes, formatResetTime, formatUsd, type AccountSnapshot, type CalendarWindow, type Limit, type Nanos, type ReserveResult } from '@drawdown/core';
import type { CreditsConfig } from './options.js';

export const BALANCE_LIMIT = 'credit balance';
export const MONTHLY_LIMIT = 'monthly spend limit';
export const DAILY_LIMIT = 'daily redemption ceiling';

export interface CapWindow {
  name: string;
  cap: Nanos;
  window: CalendarWindow;
}

/** The calendar caps in force at an instant (hub time zone): monthly spend limit, daily ceiling. */
export function capsAt(config: CreditsConfig, now: number, timeZone: string): CapWindow[] {
  const caps: CapWindow[] = [];
  if (config.monthlyLimit !== undefined) caps.push({ name: MONTHLY_LIMIT, cap: config.monthlyLimit, window: calendarWindow('month', now, timeZone) });
  if (config.dailyCeiling !== undefined) caps.push({ name: DAILY_LIMIT, cap: config.dailyCeiling, window: calendarWindow('day', now, timeZone) });
  return caps;
}

/** Limits checked atomically at reservation: caps first (funds would not help), then the balance. */
export function limitsFor(caps: CapWindow[]): Limit[] {
  return [
    ...caps.map((c): Limit => ({ kind: 'cap', name: c.name, scope: c.window.key, cap: c.cap, resetsAt: c.window.end })),
    { kind: 'balance', name: BALANCE_LIMIT },
  ];
}

/** Funds in the wallet: unexpired grant remainders less any overdraft. Holds are not subtracted. */
export const balanceOf = (snap: AccountSnapshot): Nanos => snap.granted - snap.overdraft;

/**
 * Total funding of the wallet's live grants: grants ever added minus expired remainders. Settles
 * do not change it; a new grant or an expiry does. Alert episodes are keyed by it.
 */
export const fundingOf = (snap: AccountSnapshot): Nanos => snap.granted + snap.settled.lifetime - snap.overdraft;

/** The DRAWDOWN_POOL_EXHAUSTED error for a refused reservation, naming the cap and its reset. */
export function refusal(poolId: string, label: string, result: Extract<ReserveResult, { ok: false }>, caps: CapWindow[], timeZone: string, now: number, reloading: boolean): DrawdownError {
  const needs = `this request needs ${formatUsd(result.requested)} held but only ${formatUsd(Math.max(0, result.available))} is left`;
  const cap = caps.find((c) => c.name === result.limit);
  const message = cap
    ? `${label}: the ${cap.name} of ${formatUsd(cap.cap)} is reached; ${needs}; it resets ${formatResetTime(cap.window.end, timeZone, now)}`
    : `${label}: the credit balance is too low; ${needs}; ${reloading ? 'an automatic reload is on its way' : 'add funds or turn on auto-reload'}`;
  return new DrawdownError(ErrorCodes.POOL_EXHAUSTED, message, {
    data: {
      poolId,
      limit: result.limit,
      available: result.available,
      requested: result.requested,
      ...(cap && { cap: cap.cap, resetsAt: cap.window.end }),
    },
  });
}
