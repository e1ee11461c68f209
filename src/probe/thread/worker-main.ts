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
const aborts = new Map<number, AbortController>();

port.on('message', (message: ToThread) => {
  if (message.type === 'abort') {
    aborts.get(message.id)?.abort();
    return;
  }
  if (message.target !== undefined) targets.set(message.key, message.target);
  const target = targets.get(message.key);
  if (target === undefined) throw new Error(`internal: probe of ${message.key} before its target was sent`);
  const abort = new AbortController();
  aborts.set(message.id, abort);
  void runProbe(target, { clock: systemClock }, abort.signal).then((result) => {
    aborts.delete(message.id);
    port.postMessage({ id: message.id, result } satisfies FromThread);
  });
});
