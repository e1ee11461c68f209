import type { StatusName } from '../store/status-read.ts';

export type { StatusName };

/** The statuses an incident is about; `unknown` and `misconfigured` never page anyone. */
export type IncidentSeverity = 'degraded' | 'partial_outage' | 'major_outage';

export type RuleName =
  | 'consecutive_failures'
  | 'major_error_rate'
  | 'partial_error_rate'
  | 'degraded_error_rate'
  | 'latency_p95'
  | 'latency_p95_relative'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'misconfigured'
  | 'insufficient_data'
  | 'healthy'
  | 'recovery'
  | 'removed_from_config';

/**
 * Why a status is what it is, in numbers a reader can check: the rule, what was measured, the
 * threshold it was compared with, the window it was measured over and how many probes that was.
 */
export interface Cause {
  rule: RuleName;
  value: number | null;
  threshold: number | null;
  /** Window as written in config (`10m`), or null for rules over a run of probes. */
  window: string | null;
  samples: number;
}

/** Stored per target: the hysteresis needs to remember how many clear evaluations it has seen. */
export interface TargetState {
  status: StatusName;
  since: number;
  cause: Cause | null;
  clearEvaluations: number;
}

export interface TargetTransition {
  from: StatusName;
  to: StatusName;
  at: number;
  cause: Cause;
}

const SEVERITY: Record<StatusName, number> = {
  unknown: 0,
  misconfigured: 0,
  operational: 0,
  degraded: 1,
  partial_outage: 2,
  major_outage: 3,
};

/** How bad a status is for incidents: 0 for the statuses that open none. */
export function severityOf(status: StatusName): number {
  return SEVERITY[status];
}

export function isIncidentStatus(status: StatusName): status is IncidentSeverity {
  return SEVERITY[status] > 0;
}
