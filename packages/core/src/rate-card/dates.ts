import { DrawdownError, ErrorCodes } from '../errors.js';
import { parseDay } from './schema.js';

const TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * Reads the day (or moment) whose prices apply, as `drawdown estimate --at`, `drawdown rates --at`
 * and the MCP pricing tools take it: a real calendar day `YYYY-MM-DD` (00:00 UTC) or an ISO time
 * with a zone. `2026-11-31` is refused, never rolled over to December.
 */
export function parsePricingDate(value: string, field = 'at'): number {
  const text = value.trim();
  const day = parseDay(text);
  if (day !== undefined) return day;
  const time = TIME.exec(text);
  const ms = time && parseDay(time[1]!) !== undefined ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new DrawdownError(
      ErrorCodes.INVALID_DATE,
      `${field} is "${value}", not a calendar date; write the day as YYYY-MM-DD (UTC), e.g. 2026-10-07, or an ISO time such as 2026-10-07T12:00:00Z`,
      { data: { field, value } },
    );
  return ms;
}

/** Refuses a request time that is not a finite epoch-ms number (NaN, Infinity, a string). */
export function checkPricingTime(at: unknown, field = 'at'): number {
  if (typeof at !== 'number' || !Number.isFinite(at) || Number.isNaN(new Date(at).getTime()))
    throw new DrawdownError(
      ErrorCodes.INVALID_DATE,
      `${field} is ${typeof at === 'number' ? String(at) : JSON.stringify(at)}; give the request time as epoch milliseconds, e.g. Date.parse("2026-10-07T12:00:00Z")`,
      { data: { field, value: String(at) } },
    );
  return at;
}
