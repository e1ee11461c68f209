import type { Clock } from '../lib/clock.ts';
import { nextIoTurn } from '../lib/after-io.ts';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { ProbeResult, ProbeTarget } from '../probe/types.ts';
import type { StoredResult } from '../store/results.ts';
import type { Pipeline } from './pipeline.ts';
import { createSlots } from './slots.ts';
import { spreadOffsets } from './spread.ts';
import type { ScheduledJob, SchedulerTimers } from './timers.ts';

/**
 * One cron job per target. A tick waits its target's stable offset, takes a slot under the global
 * concurrency cap, probes, and hands the result to the pipeline. A target never overlaps itself:
 * a tick that finds its previous run still going (waiting, queued or probing) is skipped,
 * counted and logged, never stacked. stop() waits for the probes in flight.
 */
export interface SchedulerDeps {
  clock: Clock;
  timers: SchedulerTimers;
  logger: Logger;
  pipeline: Pipeline;
  probe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult>;
  /** Read at every slot request, so a reload can change it. */
  concurrency(): number;
}

export interface SchedulerStats {
  jobs: number;
  inFlight: number;
  skipped: number;
  skippedByTarget: Record<string, number>;
}

export interface Scheduler {
  /** Makes the jobs match these targets. Probes in flight always finish and are stored. */
  sync(targets: readonly ProbeTarget[]): void;
  /** One probe of a target now, through the same slot and pipeline, after its own run in flight. */
  runNow(key: string): Promise<StoredResult>;
  /** Resolves when no probe is queued for a slot or running (ticks still waiting out their offset do not count). */
  idle(): Promise<void>;
  stats(): SchedulerStats;
  /** Stops ticking and waits for probes in flight; after `graceMs` they are abandoned unstored. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

interface Entry {
  target: ProbeTarget;
  offsetMs: number;
  job: ScheduledJob | null;
  busy: Promise<StoredResult | undefined> | null;
  cancelWait: (() => void) | null;
  skipped: number;
}

/**
 * A count of runs and whoever waits for it to reach zero. A count, not a Set of the runs'
 * promises: a long-lived Set with an entry added and deleted per probe leaves old tables behind
 * that keep finished probes alive through young-generation collections (src/lib/abort-listeners.ts).
 */
function createCount() {
  let count = 0;
  let waiters: Array<() => void> = [];
  return {
    value: () => count,
    up() {
      count += 1;
    },
    down() {
      count -= 1;
      if (count > 0) return;
      const waking = waiters;
      waiters = [];
      for (const wake of waking) wake();
    },
    /** Resolves once the count is zero (at once if it is). */
    zero: () => (count === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { clock, timers, pipeline } = deps;
  const log = deps.logger.child('scheduler');
  const entries = new Map<string, Entry>();
  /** Runs started and not finished: waiting out their offset, queued for a slot or probing. */
  const running = createCount();
  /** Runs past their offset: queued for a slot or probing. */
  const active = createCount();
  const slots = createSlots(deps.concurrency);
  // One signal for every probe in flight: they share its single listener (lib/abort-listeners.ts).
  const abandon = new AbortController();
  let stopped = false;
  let skippedTotal = 0;

  const waitOffset = (entry: Entry, ms: number) =>
    new Promise<boolean>((resolve) => {
      const cancel = timers.delay(ms, () => {
        entry.cancelWait = null;
        resolve(true);
      });
      entry.cancelWait = () => {
        cancel();
        entry.cancelWait = null;
        resolve(false);
      };
    });

  /**
   * A run from its offset to the stored result, as one async function: each level of async
   * function a probe waits in keeps a frame, a promise and a reaction alive for as long as the
   * probe is in flight, and young-generation collections copy all of it (BENCHMARKS.md, prober).
   */
  const execute = async (entry: Entry, offsetMs: number, rethrow: boolean): Promise<StoredResult | undefined> => {
    if (offsetMs > 0 && !(await waitOffset(entry, offsetMs))) return undefined;
    const { target } = entry;
    active.up();
    let slot = false;
    try {
      slot = await slots.acquire();
      if (!slot) return undefined;
      const result = await deps.probe(target, abandon.signal);
      if (abandon.signal.aborted) {
        log.warn('probe_abandoned', { target: target.key, reason: 'stopping' });
        return undefined;
      }
      // Storing waits its turn (one job per turn of the event loop), so answers that arrive
      // meanwhile get their timestamps before this result's transaction takes the CPU.
      await nextIoTurn();
      const stored = await pipeline.record(target, result);
      // A failure gets one line an operator can grep; a success only shows at debug level.
      if (result.ok) log.debug('probe_ok', { target: target.key, latency_ms: result.latencyMs, ttft_ms: result.ttftMs });
      else log.info('probe_failed', { target: target.key, class: result.errorClass, status: result.httpStatus ?? undefined, message: result.errorMessage ?? undefined });
      return stored;
    } catch (error) {
      log.error('probe_error', { target: target.key, error });
      if (rethrow) throw error;
      return undefined;
    } finally {
      if (slot) slots.release();
      active.down();
    }
  };

  const start = (entry: Entry, offsetMs: number, rethrow = false) => {
    const run = execute(entry, offsetMs, rethrow);
    entry.busy = run;
    running.up();
    const clear = () => {
      if (entry.busy === run) entry.busy = null;
      running.down();
    };
    run.then(clear, clear);
    return run;
  };

  const tick = (key: string) => {
    const entry = entries.get(key);
    if (stopped || !entry) return;
    if (entry.busy) {
      entry.skipped += 1;
      skippedTotal += 1;
      log.warn('tick_skipped', { target: key, reason: 'previous probe still running', skipped: entry.skipped });
      return;
    }
    start(entry, entry.offsetMs);
  };

  return {
    sync(targets) {
      if (stopped) return;
      const offsets = spreadOffsets(targets, clock.now());
      const wanted = new Map(targets.map((t) => [t.key, t]));
      let added = 0;
      let removed = 0;
      let rescheduled = 0;
      for (const [key, entry] of entries) {
        if (wanted.has(key)) continue;
        // A removed target's probe in flight still finishes and is stored; only its future ticks go.
        entry.job?.stop();
        entry.cancelWait?.();
        entries.delete(key);
        removed += 1;
      }
      for (const target of targets) {
        const offsetMs = offsets.get(target.key) ?? 0;
        const entry = entries.get(target.key);
        if (entry && entry.target.schedule === target.schedule) {
          Object.assign(entry, { target, offsetMs });
          continue;
        }
        const fresh: Entry = entry ?? { target, offsetMs, job: null, busy: null, cancelWait: null, skipped: 0 };
        if (entry) {
          entry.job?.stop();
          rescheduled += 1;
        } else added += 1;
        Object.assign(fresh, { target, offsetMs, job: timers.cron(target.schedule, () => tick(target.key)) });
        entries.set(target.key, fresh);
      }
      slots.refresh();
      log.info('schedules_synced', { targets: entries.size, added, removed, rescheduled });
    },

    async runNow(key) {
      const entry = entries.get(key);
      if (!entry) throw new AppError('not_found', `no target "${key}" is scheduled`);
      if (stopped) throw new AppError('internal_error', 'the scheduler is stopped');
      // A tick still waiting out its offset is replaced by this probe; one already probing is awaited.
      entry.cancelWait?.();
      while (entry.busy) await entry.busy.catch(() => undefined);
      const stored = await start(entry, 0, true);
      if (!stored) throw new AppError('internal_error', `the probe of "${key}" was abandoned`);
      return stored;
    },

    idle() {
      return active.zero();
    },

    stats() {
      const skippedByTarget: Record<string, number> = {};
      for (const [key, entry] of entries) if (entry.skipped > 0) skippedByTarget[key] = entry.skipped;
      return { jobs: entries.size, inFlight: running.value(), skipped: skippedTotal, skippedByTarget };
    },

    async stop(options = {}) {
      stopped = true;
      for (const entry of entries.values()) {
        entry.job?.stop();
        entry.cancelWait?.();
      }
      slots.close();
      if (running.value() === 0) return;
      log.info('waiting_for_probes', { in_flight: running.value() });
      const cancel = options.graceMs === undefined ? undefined : timers.delay(options.graceMs, () => abandon.abort());
      await running.zero();
      cancel?.();
    },
  };
}
