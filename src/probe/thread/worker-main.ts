import { parentPort } from 'node:worker_threads';
import type { ResolvedTarget } from '../../config/targets.ts';
import { systemClock } from '../../lib/clock.ts';
import { runProbe } from '../run.ts';
import type { FromThread, ToThread } from './protocol.ts';

/**
 * The timing thread: it runs probes and nothing else, so what it measures is not delayed by the
 * app's storing, status rules, API or dashboard work on the main thread. See probe-thread.ts.
 */
const port = parentPort;
if (port === null) throw new Error('internal: worker-main.ts runs only as the probe timing thread');

/** By key: a reload's new target replaces the old one, and a probe of the key uses the newest. */
const targets = new Map<string, ResolvedTarget>();
/** One controller per signal of the main thread (see protocol.ts). */
const signals = new Map<number, AbortController>();
const controller = (signal: number) => {
  let abort = signals.get(signal);
  if (abort === undefined) signals.set(signal, (abort = new AbortController()));
  return abort;
};

port.on('message', (message: ToThread) => {
  if (message.type === 'abort') {
    controller(message.signal).abort();
    return;
  }
  if (message.target !== undefined) targets.set(message.key, message.target);
  const target = targets.get(message.key);
  if (target === undefined) throw new Error(`internal: probe of ${message.key} before its target was sent`);
  void runProbe(target, { clock: systemClock }, controller(message.signal).signal).then((result) => {
    port.postMessage({ id: message.id, result } satisfies FromThread);
  });
});
