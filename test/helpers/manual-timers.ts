import { Cron } from 'croner';
import type { Clock } from '../../src/lib/clock.ts';
import type { SchedulerTimers } from '../../src/scheduler/timers.ts';

/**
 * Scheduler timers driven by a manual clock: nothing fires until the test calls advance(), which
 * walks time forward event by event (cron matches and delays, in order), moving the clock to each
 * instant before firing it and letting promise chains run in between.
 * Pass it as `timers` in AppDeps so a test app never probes on its own.
 */
export type ManualClock = Clock & { set(ms: number): void };

/**
 * Wall time that moves only when told (windows, schedules, stored started_at), with the real
 * monotonic clock, so probes against a fake provider still measure its real delays.
 */
export function createScenarioClock(start = Date.UTC(2026, 0, 1)): ManualClock & { advance(ms: number): void } {
  let wall = start;
  return {
    now: () => wall,
    monotonic: () => performance.now(),
    set: (ms) => {
      wall = ms;
    },
    advance: (ms) => {
      wall += ms;
    },
  };
}

interface CronEntry {
  cron: Cron;
  next: number;
  tick(): void;
}
interface DelayEntry {
  at: number;
  fn(): void;
}

export interface ManualTimers extends SchedulerTimers {
  advance(ms: number): Promise<void>;
  /** Cron jobs currently registered. */
  jobs(): number;
}

/** Lets queued promise chains (and synchronous SQLite work behind them) finish. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function createManualTimers(clock: ManualClock): ManualTimers {
  const crons = new Set<CronEntry>();
  const delays = new Set<DelayEntry>();
  const nextAfter = (cron: Cron, at: number) => cron.nextRun(new Date(at))?.getTime() ?? Number.POSITIVE_INFINITY;

  return {
    cron(pattern, tick) {
      const cron = new Cron(pattern, { paused: true });
      const entry: CronEntry = { cron, next: nextAfter(cron, clock.now()), tick };
      crons.add(entry);
      return { stop: () => crons.delete(entry) };
    },
    delay(ms, fn) {
      const entry: DelayEntry = { at: clock.now() + ms, fn };
      delays.add(entry);
      return () => delays.delete(entry);
    },
    jobs: () => crons.size,
    async advance(ms) {
      const end = clock.now() + ms;
      for (;;) {
        let soonest: { at: number; fire(): void } | undefined;
        for (const entry of crons) {
          if (entry.next <= end && (!soonest || entry.next < soonest.at)) {
            soonest = { at: entry.next, fire: () => ((entry.next = nextAfter(entry.cron, entry.next)), entry.tick()) };
          }
        }
        for (const entry of delays) {
          if (entry.at <= end && (!soonest || entry.at < soonest.at)) soonest = { at: entry.at, fire: () => (delays.delete(entry), entry.fn()) };
        }
        if (!soonest) break;
        clock.set(soonest.at);
        soonest.fire();
        await settle();
      }
      clock.set(end);
      await settle();
    },
  };
}
