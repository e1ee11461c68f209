/**
 * Time comes in through this interface so tests can drive it. `now()` is wall-clock epoch
 * milliseconds (for storage and windows); `monotonic()` is for measuring durations, which must
 * never jump when the wall clock is adjusted.
 */
export interface Clock {
  now(): number;
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A clock that only moves when told to; for tests. */
export function createManualClock(start = Date.UTC(2026, 0, 1)): Clock & { advance(ms: number): void; set(ms: number): void } {
  let wall = start;
  let mono = 0;
  return {
    now: () => wall,
    monotonic: () => mono,
    advance(ms: number) {
      wall += ms;
      mono += ms;
    },
    set(ms: number) {
      mono += Math.max(0, ms - wall);
      wall = ms;
    },
  };
}
