import type { Evidence } from './evidence.ts';
import { measure, type Finding } from './rules.ts';
import type { ResolvedThresholds } from './thresholds.ts';
import { severityOf, type Cause, type TargetState, type TargetTransition } from './types.ts';

export interface TargetStep {
  state: TargetState;
  /** Set when the status changed. */
  transition: TargetTransition | null;
  /** The row of the table below that decided; tests assert it so every row is exercised. */
  row: number;
  finding: Finding;
}

export function initialTargetState(now: number): TargetState {
  return { status: 'unknown', since: now, cause: null, clearEvaluations: 0 };
}

/*
 * The target state machine. C = current status, M = the status the rules measure now (rules.ts),
 * sev = severity: operational, unknown, misconfigured 0 < degraded 1 < partial_outage 2 <
 * major_outage 3. Rows are tried in order; the first that matches decides.
 *
 * | row | current C              | measured M               | condition                                              | next                 | clear count |
 * |-----|------------------------|--------------------------|--------------------------------------------------------|----------------------|-------------|
 * | 1   | any                    | M = C                    | —                                                      | C, cause refreshed   | 0           |
 * | 2   | any                    | misconfigured            | —                                                      | misconfigured        | 0           |
 * | 3   | misconfigured          | any other                | —                                                      | M at once            | 0           |
 * | 4   | operational, unknown   | operational, unknown     | —                                                      | M at once            | 0           |
 * | 5   | any                    | sev(M) > sev(C)          | —                                                      | M at once (escalate) | 0           |
 * | 6   | degraded … major       | sev(M) < sev(C)          | clear + 1 ≥ recovery_evaluations and                   | M (cause: recovery)  | 0           |
 * |     |                        |                          | success run ≥ recovery_successes                       |                      |             |
 * | 7   | degraded … major       | sev(M) < sev(C)          | otherwise                                              | C held               | clear + 1   |
 *
 * Why: getting worse is acted on at once (a monitor must be quick to notice), getting better only
 * after the hysteresis (it must not flap). Misconfiguration is the team's problem, not the
 * provider's, so it neither waits nor counts as recovery. Moves between operational and unknown
 * open nothing, so they need no hysteresis either.
 */
export function stepTarget(prev: TargetState, evidence: Evidence, t: ResolvedThresholds, now: number): TargetStep {
  const finding = measure(evidence, t);
  const C = prev.status;
  const M = finding.status;
  const move = (row: number, cause: Cause): TargetStep => ({
    state: { status: M, since: now, cause: finding.cause, clearEvaluations: 0 },
    transition: { from: C, to: M, at: now, cause },
    row,
    finding,
  });

  // States are written out, not spread from prev: this runs for every probe, and on Node 20's V8 an
  // object spread copy kept finished probes' objects alive through young-generation collections
  // (BENCHMARKS.md, prober, "What young-generation collections kept").
  if (M === C) return { state: { status: C, since: prev.since, cause: finding.cause, clearEvaluations: 0 }, transition: null, row: 1, finding };
  if (M === 'misconfigured') return move(2, finding.cause);
  if (C === 'misconfigured') return move(3, finding.cause);
  if (severityOf(C) === 0 && severityOf(M) === 0) return move(4, finding.cause);
  if (severityOf(M) > severityOf(C)) return move(5, finding.cause);

  const clear = prev.clearEvaluations + 1;
  if (clear >= t.recoveryEvaluations && evidence.successRun >= t.recoverySuccesses) {
    return move(6, { rule: 'recovery', value: evidence.successRun, threshold: t.recoverySuccesses, window: null, samples: clear });
  }
  return { state: { status: C, since: prev.since, cause: prev.cause, clearEvaluations: clear }, transition: null, row: 7, finding };
}
