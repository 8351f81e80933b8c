import { calendarWindow } from '@drawdown/core';

// What the store suites and their worker processes agree on, free of any test runner: the worker
// side loads this too.

/** The instant every contract test and worker race happens at (a whole minute, mid-day UTC). */
export const T0 = Date.parse('2026-11-23T12:00:00Z');

/** The UTC day window an instant falls in. */
export const day = (at: number) => calendarWindow('day', at, 'UTC');

/** Where a reservation or charge at `at` is counted: its UTC day's scope and day. */
export const placement = (at: number) => ({ scopes: [day(at).key], day: new Date(at).toISOString().slice(0, 10) });
