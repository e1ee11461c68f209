import type { Worker } from 'node:worker_threads';
import type { ResolvedTarget } from '../../config/targets.ts';
import type { Logger } from '../../lib/logger.ts';
import { startWorker } from '../../lib/start-worker.ts';
import type { ProbeResult } from '../types.ts';
import type { FromThread, ToThread } from './protocol.ts';

/**
 * A worker thread that runs probes (runProbe, unchanged) and does nothing else.
 *
 * A probe's timestamps are taken when its socket's callback runs. On the main thread that
 * callback waits for the job in progress: probes' parsing and storing take one turn each
 * (src/lib/after-io.ts), but an API or dashboard request, or a cold metrics query (100-170 ms),
 * holds the thread as long as it runs. Here nothing else runs: at 100 in flight this thread's p99
 * bias stayed within the bare node:http loop's (0.78-0.97x over 8 000 samples) where the main
 * thread's did not (1.28-1.48x), though at 500 in flight the main thread's p50 is the lower
 * (scripts/bench/prober.ts, BENCHMARKS.md). It costs about 10 MB of memory and 0.3-0.7 ms more CPU
 * per probe (its own event loop, the messages), so it is opt-in: `defaults.timing_thread`.
 */
export interface ProbeThread {
  probe(target: ResolvedTarget, signal: AbortSignal): Promise<ProbeResult>;
  running(): boolean;
  inFlight(): number;
  /** Ends the thread; probes still in it are rejected (the scheduler has waited for them first). */
  close(): Promise<void>;
}

/** The SEA asset key of the bundled timing thread (scripts/build.mjs). */
export const PROBE_WORKER_ASSET = 'probe-worker.cjs';

interface Pending {
  resolve(result: ProbeResult): void;
  reject(error: Error): void;
}

/** The provider's model list is not needed to probe one model, and copying it per target is not free. */
function forThread(target: ResolvedTarget): ResolvedTarget {
  return { ...target, provider: { ...target.provider, models: [] } };
}

export function createProbeThread(deps: { logger: Logger }): ProbeThread {
  const log = deps.logger.child('probe-thread');
  let worker: Worker | null = null;
  /** Target objects the running worker already holds (a reload makes new ones, sent again). */
  let sent = new WeakSet<ResolvedTarget>();
  const pending = new Map<number, Pending>();
  let nextId = 0;
  /** The abort signals probes came with, by number; each gets one listener (protocol.ts). */
  const signals = new WeakMap<AbortSignal, number>();
  let nextSignal = 0;
  const signalNumber = (signal: AbortSignal): number => {
    let number = signals.get(signal);
    if (number === undefined) {
      const assigned = (number = nextSignal++);
      signals.set(signal, assigned);
      // Posted to whichever worker runs then: a new one never saw the old one's probes.
      signal.addEventListener('abort', () => worker?.postMessage({ type: 'abort', signal: assigned } satisfies ToThread), { once: true });
    }
    return number;
  };

  const rejectAll = (error: Error) => {
    for (const entry of pending.values()) entry.reject(error);
    pending.clear();
  };

  const start = (): Worker => {
    const started = startWorker(PROBE_WORKER_ASSET, () => new URL('./worker-main.ts', import.meta.url));
    const lost = (error: Error) => {
      if (worker !== started) return;
      worker = null;
      log.error('probe_thread_failed', { error, in_flight: pending.size });
      // Our failure, not the provider's: the scheduler logs these probes and stores nothing.
      rejectAll(new Error(`the probe timing thread failed: ${error.message}`));
    };
    started.on('message', (message: FromThread) => {
      const entry = pending.get(message.id);
      if (entry === undefined) return;
      pending.delete(message.id);
      // Idle, the thread must not keep a finished command's process alive.
      if (pending.size === 0) started.unref();
      entry.resolve(message.result);
    });
    started.on('error', lost);
    started.on('exit', (code) => lost(new Error(`it exited with code ${code}`)));
    started.unref();
    worker = started;
    sent = new WeakSet();
    log.info('probe_thread_started');
    return started;
  };

  return {
    running: () => worker !== null,
    inFlight: () => pending.size,

    probe(target, signal) {
      const thread = worker ?? start();
      const id = nextId++;
      const message: ToThread = { type: 'probe', id, key: target.key, signal: signalNumber(signal) };
      if (!sent.has(target)) {
        message.target = forThread(target);
        sent.add(target);
      }
      return new Promise<ProbeResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (pending.size === 1) thread.ref();
        thread.postMessage(message);
        // Aborted before it got here: its listener has already fired (or fired for another worker).
        if (signal.aborted) thread.postMessage({ type: 'abort', signal: message.signal } satisfies ToThread);
      });
    },

    async close() {
      const stopping = worker;
      if (stopping === null) return;
      worker = null;
      rejectAll(new Error('the probe timing thread was closed'));
      await stopping.terminate();
      log.info('probe_thread_stopped');
    },
  };
}
