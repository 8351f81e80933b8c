/** Time source for everything that expires, resets or is dated. Tests pass a controllable one. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
