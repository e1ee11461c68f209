import type { ResolvedTarget } from '../../config/targets.ts';
import type { ProbeResult } from '../types.ts';

/**
 * Messages between the app and its timing thread (probe-thread.ts ↔ worker-main.ts).
 *
 * A target travels once per target object (a reload makes new objects), not with every probe:
 * copying it is the costliest part of a message, and the thread's CPU is what the timings share.
 */
export type ToThread =
  | { type: 'probe'; id: number; key: string; target?: ResolvedTarget }
  | { type: 'abort'; id: number };

export interface FromThread {
  id: number;
  result: ProbeResult;
}
