import { Cron } from 'croner';

/**
 * The scheduler's only contact with time passing. Production uses croner and setTimeout; tests
 * pass manual timers (test/helpers/manual-timers.ts) driven by an injected clock, so a schedule
 * is tested by moving time, not by waiting for it.
 */
export interface ScheduledJob {
  stop(): void;
}

export interface SchedulerTimers {
  /** Calls `tick` at every instant the cron pattern matches, until stopped. */
  cron(pattern: string, tick: () => void): ScheduledJob;
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  delay(ms: number, fn: () => void): () => void;
}

export const realTimers: SchedulerTimers = {
  cron(pattern, tick) {
    const job = new Cron(pattern, { catch: true }, tick);
    return { stop: () => job.stop() };
  },
  delay(ms, fn) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
