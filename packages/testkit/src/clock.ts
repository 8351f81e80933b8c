import type { Clock } from '@drawdown/core';

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  set(instant: number | string | Date): void;
  advance(ms: number): number;
}

/** Starts at `start` (epoch ms, ISO string or Date; default 2026-11-23T12:00:00Z) and moves only when told. */
export function manualClock(start: number | string | Date = '2026-11-23T12:00:00Z'): ManualClock {
  const toMs = (value: number | string | Date): number =>
    typeof value === 'number' ? value : new Date(value).getTime();
  let now = toMs(start);
  return {
    now: () => now,
    set(instant) {
      now = toMs(instant);
    },
    advance(ms) {
      now += ms;
      return now;
    },
  };
}
