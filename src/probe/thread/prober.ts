import type { TimingThreadMode } from '../../config/schema.ts';
import type { ResolvedTarget } from '../../config/targets.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { runProbe } from '../run.ts';
import type { ProbeResult } from '../types.ts';
import { createProbeThread } from './probe-thread.ts';

/**
 * Where each probe runs (`defaults.timing_thread`). In `auto`, on the main thread while few
 * overlap: the timing thread's memory (about 10 MB) buys nothing there. The first time more than
 * AUTO_THREAD_ABOVE are in flight the thread starts, and from then on every probe runs in it, so
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

/** Ten in flight showed no bias the thread would remove; 500 did (scripts/bench/prober.ts). */
export const AUTO_THREAD_ABOVE = 16;

export function createProber(deps: { clock: Clock; logger: Logger; mode: () => TimingThreadMode }): Prober {
  const thread = createProbeThread({ logger: deps.logger });
  let inFlight = 0;
  let failed = false;
  const onThread = () => {
    const mode = deps.mode();
    return mode === 'always' || (mode === 'auto' && !failed && (thread.running() || inFlight > AUTO_THREAD_ABOVE));
  };
  return {
    async probe(target, signal) {
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
        return await runProbe(target, { clock: deps.clock }, signal);
      } finally {
        inFlight -= 1;
      }
    },
    onThread,
    close: () => thread.close(),
  };
}
