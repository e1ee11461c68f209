import type { TimingThreadMode } from '../../config/schema.ts';
import type { ResolvedTarget } from '../../config/targets.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { runProbe } from '../run.ts';
import type { ProbeResult } from '../types.ts';
import { createProbeThread } from './probe-thread.ts';

/**
 * Where each probe runs (`defaults.timing_thread`). In `auto`, on the main thread until the main
 * thread is seen held up while probes are in flight: answers are read and stamped between jobs
 * there (src/lib/after-io.ts), so only a long stretch of other work (a cold 7-day metrics query,
 * a large dashboard page) delays their timestamps, and then the thread, which does nothing but
 * probe, is worth its memory (about 10 MB) and CPU. From then on every probe runs in it, so
 * timings keep one path. In `auto`, a thread that failed once (a bug of ours, or a worker that
 * cannot start where CapPulse runs) is not tried again: probes stay on the main thread rather
 * than fail. In `always`, the next probe starts a new thread.
 */
export interface Prober {
  probe(target: ResolvedTarget, signal: AbortSignal): Promise<ProbeResult>;
  /** Whether the next probe runs on the timing thread (for tests). */
  onThread(): boolean;
  close(): Promise<void>;
}

/**
 * How long the main thread's event loop may stand still, with probes in flight, before `auto`
 * moves probes to the thread. Above the machine's own noise: in the prober bench the loop stood
 * still for up to 32 ms under the bare node:http loop as under the prober (collections, other
 * processes on two shared cores), and a probe's jobs take a few ms at most. A cold 7-day metrics
 * query held it 103-167 ms (BENCHMARKS.md).
 */
export const AUTO_THREAD_STALL_MS = 50;

export function createProber(deps: {
  clock: Clock;
  logger: Logger;
  mode: () => TimingThreadMode;
  /** AUTO_THREAD_STALL_MS unless a test on a loaded machine needs a stall no load can fake. */
  stallMs?: number;
}): Prober {
  const stallMs = deps.stallMs ?? AUTO_THREAD_STALL_MS;
  const thread = createProbeThread({ logger: deps.logger });
  let inFlight = 0;
  let failed = false;
  let stalled = false;
  // In `auto`, a watch on the main loop's turns while probes are in flight: a stall at start-up
  // or between probes delays no timestamp.
  let watch: NodeJS.Timeout | null = null;
  let lastTurn = 0;
  const stopWatch = () => {
    if (watch !== null) clearInterval(watch);
    watch = null;
  };
  const sawTurn = () => {
    const now = deps.clock.monotonic();
    if (now - lastTurn > stallMs && !stalled) {
      stalled = true;
      // Says why the thread starts: the operator may want `always`, or to find the long work.
      deps.logger.child('prober').info('main_thread_stalled', { stalled_ms: Math.round(now - lastTurn), timing_thread: 'auto: probes move to the timing thread' });
      // Its one job is done: `auto` never moves back.
      stopWatch();
    }
    lastTurn = now;
  };
  const onThread = () => {
    const mode = deps.mode();
    return mode === 'always' || (mode === 'auto' && !failed && (thread.running() || stalled));
  };
  const probeDeps = { clock: deps.clock };
  const probeTracked = async (target: ResolvedTarget, signal: AbortSignal): Promise<ProbeResult> => {
    if (watch === null && deps.mode() === 'auto' && !stalled) {
      lastTurn = deps.clock.monotonic();
      watch = setInterval(sawTurn, stallMs / 5).unref();
    }
    inFlight += 1;
    try {
      if (onThread()) {
        try {
          return await thread.probe(target, signal);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
      // `never` after a reload: give the thread's memory back once it has nothing in flight.
      if (deps.mode() === 'never' && thread.running() && thread.inFlight() === 0) void thread.close();
      return await runProbe(target, probeDeps, signal);
    } finally {
      inFlight -= 1;
      if (watch !== null && inFlight === 0) {
        sawTurn();
        stopWatch();
      }
    }
  };
  return {
    probe(target, signal) {
      // The default (`never`, no thread left from before a reload) needs none of the bookkeeping
      // above: the probe's own promise, without an async frame kept alive beside it while the
      // probe is in flight (see scheduler.ts execute).
      if (deps.mode() === 'never' && !thread.running()) return runProbe(target, probeDeps, signal);
      return probeTracked(target, signal);
    },
    onThread,
    close: () => {
      stopWatch();
      return thread.close();
    },
  };
}
