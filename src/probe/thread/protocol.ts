import type { ResolvedTarget } from '../../config/targets.ts';
import type { ProbeResult } from '../types.ts';

/**
 * Messages between the app and its timing thread (probe-thread.ts ↔ worker-main.ts).
 *
 * A target travels once per target object (a reload makes new objects), not with every probe:
 * copying it is the costliest part of a message, and the thread's CPU is what the timings share.
 * Likewise a probe names its abort signal by number: the scheduler passes one signal to all its
 * probes, and an AbortSignal (or a listener on one) per probe cost 20–30 µs on each side.
 */
export type ToThread =
  | { type: 'probe'; id: number; key: string; target?: ResolvedTarget; signal: number }
  | { type: 'abort'; signal: number };

export interface FromThread {
  id: number;
  result: ProbeResult;
}
