import type { OptionProblem } from './errors.js';

/**
 * Calendar windows (day, week, month) in an IANA time zone, correct across DST changes: a window
 * starts at the first instant of its local date, which is not always midnight nor 24 hours after
 * the previous start. Weeks start on Monday (ISO 8601).
 */
export type CalendarPeriod = 'day' | 'week' | 'month';

export interface CalendarWindow {
  period: CalendarPeriod;
  timeZone: string;
  /** Stable key for the window, e.g. `day:2026-11-23@Europe/Berlin`; the ledger's rollups use it. */
  key: string;
  /** First instant of the window (epoch ms, inclusive). */
  start: number;
  /** First instant of the next window (epoch ms, exclusive): when the window resets. */
  end: number;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** What is wrong with `timeZone` as the option `field`; undefined when it is an IANA zone this runtime knows. */
export function timeZoneProblem(timeZone: unknown, field = 'timeZone'): OptionProblem | undefined {
  if (typeof timeZone === 'string') {
    try {
      formatterFor(timeZone);
      return undefined;
    } catch {
      // Not a zone: the problem below.
    }
  }
  return {
    field,
    problem: `is ${JSON.stringify(timeZone)}, which is not an IANA time zone`,
    fix: 'Use a name like "UTC" or "America/New_York".',
  };
}

function localParts(instant: number, timeZone: string): LocalDate & { hour: number; minute: number; second: number } {
  const parts = formatterFor(timeZone).formatToParts(new Date(instant));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** Offset of the zone from UTC at an instant, in ms (local = utc + offset). */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

/** First instant whose local date is `date` (usually local midnight; later if midnight is skipped). */
function startOfLocalDate(date: LocalDate, timeZone: string): number {
  const midnightAsUtc = Date.UTC(date.year, date.month - 1, date.day);
  // Two passes settle the offset even when the guess lands on the other side of a transition.
  let guess = midnightAsUtc - offsetAt(midnightAsUtc, timeZone);
  guess = midnightAsUtc - offsetAt(guess, timeZone);
  const local = localParts(guess, timeZone);
  const sameDate = local.year === date.year && local.month === date.month && local.day === date.day;
  if (sameDate) {
    // Walk back in case an earlier instant of the same date exists (the guess overshot by an hour).
    const earlier = guess - 3_600_000;
    const e = localParts(earlier, timeZone);
    if (e.year === date.year && e.month === date.month && e.day === date.day && e.hour === 0) return earlier;
    return guess;
  }
  // Midnight does not exist on this date (DST starts at 00:00): the day starts at the transition.
  let lo = guess;
  let hi = guess + 3 * 3_600_000;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    const m = localParts(mid, timeZone);
    if (m.year === date.year && m.month === date.month && m.day === date.day) hi = mid;
    else lo = mid;
  }
  return hi;
}

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function iso(date: LocalDate): string {
  return `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** The local calendar date of an instant, as `YYYY-MM-DD`. Reports group by it. */
export function localDate(instant: number, timeZone: string): string {
  return iso(localParts(instant, timeZone));
}

/**
 * `localDate` for many instants in one zone, fast: the zone's offset is looked up once per UTC day
 * (plus per 15 minutes on a day whose offset changes; every zone's offsets are whole quarter hours).
 * `offsets` (UTC day number → offset in ms, or null on a day the offset changes) is read and filled
 * in, so a caller can keep it and skip the lookups next time.
 */
export function localDates(timeZone: string, offsets: Record<string, number | null> = {}): (instant: number) => string {
  const quarters = new Map<number, string>();
  return (instant) => {
    const utcDay = Math.floor(instant / DAY_MS);
    let offset = offsets[utcDay];
    if (offset === undefined) {
      const start = offsetAt(utcDay * DAY_MS, timeZone);
      offset = offsets[utcDay] = start === offsetAt(utcDay * DAY_MS + DAY_MS - 1000, timeZone) ? start : null;
    }
    if (offset !== null) return new Date(instant + offset).toISOString().slice(0, 10);
    const quarter = Math.floor(instant / QUARTER_MS);
    let day = quarters.get(quarter);
    if (day === undefined) quarters.set(quarter, (day = localDate(quarter * QUARTER_MS, timeZone)));
    return day;
  };
}

const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;

function computeWindow(period: CalendarPeriod, instant: number, timeZone: string): CalendarWindow {
  const today = localParts(instant, timeZone);
  let first: LocalDate;
  let next: LocalDate;
  if (period === 'day') {
    first = today;
    next = addDays(today, 1);
  } else if (period === 'week') {
    const weekday = (new Date(Date.UTC(today.year, today.month - 1, today.day)).getUTCDay() + 6) % 7;
    first = addDays(today, -weekday);
    next = addDays(first, 7);
  } else {
    first = { year: today.year, month: today.month, day: 1 };
    next =
      today.month === 12
        ? { year: today.year + 1, month: 1, day: 1 }
        : { year: today.year, month: today.month + 1, day: 1 };
  }
  const label = period === 'month' ? iso(first).slice(0, 7) : iso(first);
  return {
    period,
    timeZone,
    key: `${period}:${label}@${timeZone}`,
    start: startOfLocalDate(first, timeZone),
    end: startOfLocalDate(next, timeZone),
  };
}

// Windows are asked for on every request; the current one is cached until it ends.
const windowCache = new Map<string, CalendarWindow>();

/** The calendar window (day, week or month in `timeZone`) that contains `instant`. */
export function calendarWindow(period: CalendarPeriod, instant: number, timeZone: string): CalendarWindow {
  const cacheKey = `${period}|${timeZone}`;
  const cached = windowCache.get(cacheKey);
  if (cached && instant >= cached.start && instant < cached.end) return cached;
  const window = computeWindow(period, instant, timeZone);
  windowCache.set(cacheKey, window);
  return window;
}

/** "3pm", "3:30pm": how people say a reset time, in the given zone. */
export function formatClockTime(instant: number, timeZone: string): string {
  const p = localParts(instant, timeZone);
  const suffix = p.hour < 12 ? 'am' : 'pm';
  const hour12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  return p.minute === 0 ? `${hour12}${suffix}` : `${hour12}:${String(p.minute).padStart(2, '0')}${suffix}`;
}

const dateFormatters = new Map<string, Intl.DateTimeFormat>();
// Status and route explanations name the same few reset instants on every call (window ends,
// plan resets): their text is kept, so a status read formats nothing in the common case.
const resetTexts = new Map<string, string>();
const RESET_TEXTS_KEPT = 256;

/**
 * A reset time the way users read it: "3pm (America/Los_Angeles)" when it is today in that zone,
 * "Nov 24, 3pm (America/Los_Angeles)" otherwise.
 */
export function formatResetTime(instant: number, timeZone: string, now: number): string {
  const today = calendarWindow('day', now, timeZone);
  const sameDay = instant >= today.start && instant < today.end;
  const cacheKey = `${instant}|${timeZone}|${sameDay ? 'today' : 'other'}`;
  const cached = resetTexts.get(cacheKey);
  if (cached !== undefined) return cached;
  const time = formatClockTime(instant, timeZone);
  let text = `${time} (${timeZone})`;
  if (!sameDay) {
    let formatter = dateFormatters.get(timeZone);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric' });
      dateFormatters.set(timeZone, formatter);
    }
    text = `${formatter.format(new Date(instant))}, ${text}`;
  }
  if (resetTexts.size >= RESET_TEXTS_KEPT) resetTexts.clear();
  resetTexts.set(cacheKey, text);
  return text;
}
