/**
 * What the demo provider is going through at a moment: a repeating six-minute script so a
 * newcomer sees every kind of trouble within minutes of `cappulse serve --demo`. Pure.
 *
 * | from  | to    | phase          | effect                                   |
 * |-------|-------|----------------|------------------------------------------|
 * | 0:00  | 2:30  | normal         | log-normal TTFT and latency              |
 * | 2:30  | 3:15  | latency_spike  | everything about 6x slower               |
 * | 3:15  | 3:45  | server_errors  | most requests fail with 500 or 503       |
 * | 3:45  | 4:30  | normal         |                                          |
 * | 4:30  | 5:15  | rate_limited   | every request gets 429 with retry-after  |
 * | 5:15  | 6:00  | normal         |                                          |
 */
export type DemoPhase = 'normal' | 'latency_spike' | 'server_errors' | 'rate_limited';

export const SCRIPT_CYCLE_MS = 360_000;

const SCRIPT: ReadonlyArray<readonly [number, DemoPhase]> = [
  [150_000, 'normal'],
  [195_000, 'latency_spike'],
  [225_000, 'server_errors'],
  [270_000, 'normal'],
  [315_000, 'rate_limited'],
  [SCRIPT_CYCLE_MS, 'normal'],
];

export function phaseAt(elapsedMs: number): DemoPhase {
  const position = ((elapsedMs % SCRIPT_CYCLE_MS) + SCRIPT_CYCLE_MS) % SCRIPT_CYCLE_MS;
  for (const [until, phase] of SCRIPT) if (position < until) return phase;
  return 'normal';
}

/** Milliseconds until the current phase ends, for retry-after during the 429 run. */
export function phaseRemainingMs(elapsedMs: number): number {
  const position = ((elapsedMs % SCRIPT_CYCLE_MS) + SCRIPT_CYCLE_MS) % SCRIPT_CYCLE_MS;
  for (const [until] of SCRIPT) if (position < until) return until - position;
  return 0;
}

/** A log-normal sample with the given median: latencies have a long right tail, never a negative one. */
export function logNormal(median: number, sigma: number, random: () => number): number {
  // Box-Muller; 1 - u keeps log away from 0.
  const u = 1 - random();
  const v = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return median * Math.exp(sigma * z);
}

export interface DemoModel {
  id: string;
  ttftMedianMs: number;
  /** Time per output token after the first. */
  tokenMs: number;
}

export const DEMO_MODELS: readonly DemoModel[] = [
  { id: 'demo-fast', ttftMedianMs: 180, tokenMs: 8 },
  { id: 'demo-large', ttftMedianMs: 650, tokenMs: 25 },
];

export function demoModel(id: string): DemoModel {
  return DEMO_MODELS.find((model) => model.id === id) ?? { id, ttftMedianMs: 300, tokenMs: 12 };
}
