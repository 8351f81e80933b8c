import { localDate } from '@drawdown/core';

/**
 * The last `count` local days up to the one holding `now`, oldest first. Stepped by calendar date,
 * not by 24 hours, so a DST change never skips or repeats a day.
 */
export function calendarDays(now: number, timeZone: string, count: number): string[] {
  const today = localDate(now, timeZone);
  const noon = Date.parse(`${today}T12:00:00Z`);
  return Array.from({ length: count }, (_, i) =>
    new Date(noon - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** Today (the local day holding `now`) and the `count - 1` local days after it, by calendar date. */
export function upcomingDays(now: number, timeZone: string, count: number): string[] {
  const noon = Date.parse(`${localDate(now, timeZone)}T12:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(noon + i * 86_400_000).toISOString().slice(0, 10));
}
