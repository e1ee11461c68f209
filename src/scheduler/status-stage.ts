import type { Config } from '../config/schema.ts';
import type { Clock } from '../lib/clock.ts';
import { prefixedId, randomBase62 } from '../lib/ids.ts';
import type { Logger } from '../lib/logger.ts';
import type { ProbeTarget } from '../probe/types.ts';
import { summarize } from '../stats/metrics-object.ts';
import { windowEndingAt } from '../stats/windows.ts';
import { gatherEvidence } from '../status/evidence.ts';
import { decideProvider, type IncidentCause, type IncidentSnapshot } from '../status/incident.ts';
import { initialTargetState, stepTarget } from '../status/machine.ts';
import { inMaintenance } from '../status/maintenance.ts';
import { thresholdsFor, type ResolvedThresholds } from '../status/thresholds.ts';
import { isIncidentStatus, type Cause } from '../status/types.ts';
import { findLastResolvedIncident, findOpenIncident, type IncidentRecord } from '../store/incidents.ts';
import { createStatusStatements, findProviderStatus, listProviderTargetStatuses, saveProviderStatus } from '../store/status.ts';
import { readScopeWindow } from '../store/window-read.ts';
import { createOutcomeWindows } from './outcome-window.ts';
import { incidentLogFields, writeIncidentChange } from './incident-change.ts';
import type { PipelineStage } from './pipeline.ts';

/** The 7-day p95 moves slowly; recomputing it once an hour keeps each evaluation cheap. */
const BASELINE_REFRESH_MS = 3_600_000;

/**
 * Event ids that sort in the order they were written (time, then a per-process counter, then
 * randomness for uniqueness), so `ORDER BY created_at, id` replays a transaction's events in the
 * order the state machine emitted them.
 */
export function createEventIds(): (now: number) => string {
  let last = 0;
  let seq = 0;
  return (now) => {
    if (now > last) {
      last = now;
      seq = 0;
    } else seq += 1;
    return `evt_${last.toString(36).padStart(9, '0')}${seq.toString(36).padStart(3, '0')}${randomBase62(8)}`;
  };
}

export function toSnapshot(record: IncidentRecord | undefined): IncidentSnapshot | null {
  if (!record) return null;
  return { ...record, severity: record.severity as IncidentSnapshot['severity'], scope: record.scope as IncidentSnapshot['scope'], cause: record.cause as IncidentCause };
}

/**
 * The status stage: after each stored result, in the same transaction, evaluate the target, then
 * its provider, then write the incident change and its outbox events. Either all of it commits
 * with the result or none of it does, so no state change is ever left without its events.
 */
export function createStatusStage(deps: { config: () => Config; clock: Clock; logger: Logger; newEventId?: (now: number) => string }): PipelineStage {
  const log = deps.logger.child('status');
  const newEventId = deps.newEventId ?? createEventIds();
  let decidedUnder: Config | null = null;
  const decided = new Set<number>();
  const statements = createStatusStatements();
  const outcomes = createOutcomeWindows(statements);
  // Resolving a target's thresholds parses durations; a config object is frozen, so once per config.
  let thresholdsUnder: Config | null = null;
  const thresholds = new Map<string, ResolvedThresholds>();
  const thresholdsOf = (config: Config, providerSlug: string, modelSlug?: string) => {
    if (config !== thresholdsUnder) {
      thresholdsUnder = config;
      thresholds.clear();
    }
    const key = modelSlug === undefined ? providerSlug : `${providerSlug}/${modelSlug}`;
    let resolved = thresholds.get(key);
    if (resolved === undefined) thresholds.set(key, (resolved = thresholdsFor(config, providerSlug, modelSlug)));
    return resolved;
  };

  // Log lines wait for the commit: a rolled-back change was never made, so it must not be logged.
  const pendingLogs = new Map<number, Array<[string, Record<string, unknown>]>>();
  const logAfterCommit = (targetId: number, event: string, fields: Record<string, unknown>) => {
    const lines = pendingLogs.get(targetId);
    if (lines) lines.push([event, fields]);
    else pendingLogs.set(targetId, [[event, fields]]);
  };

  return {
    name: 'status',
    rolledBack: (target) => {
      outcomes.forget(target.id);
      pendingLogs.delete(target.id);
    },
    committed: (target) => {
      const lines = pendingLogs.get(target.id);
      if (!lines) return;
      pendingLogs.delete(target.id);
      for (const [event, fields] of lines) log.info(event, fields);
    },
    async apply(tx, target: ProbeTarget, result) {
      const now = deps.clock.now();
      const config = deps.config();
      const t = thresholdsOf(config, target.providerSlug, target.modelSlug);

      const stored = statements.findTarget(tx, target.id);
      let baselineP95Ms = stored?.baselineP95Ms ?? null;
      let baselineAt = stored?.baselineAt ?? null;
      if (t.latencyP95Relative !== null && (baselineAt === null || now - baselineAt >= BASELINE_REFRESH_MS)) {
        // The same 7-day p95 the metrics API shows (rollup digests), so a user can check the rule.
        const week = await readScopeWindow(tx.kysely, { key: `t:${target.id}`, targetIds: [target.id] }, windowEndingAt('7d', now), now);
        const latency = summarize(week.total.latency);
        // Too few samples make no baseline: try again next evaluation instead of caching a guess.
        const enough = latency !== null && latency.samples >= t.minLatencySamples;
        baselineP95Ms = enough ? latency.p95 : null;
        baselineAt = enough ? now : null;
      }
      const evidence = gatherEvidence(await outcomes.recent(tx, target.id, result, t, now), t, now, baselineP95Ms);
      const prev = stored ? { status: stored.status, since: stored.since, cause: stored.cause as Cause | null, clearEvaluations: stored.clearEvaluations } : initialTargetState(now);
      const step = stepTarget(prev, evidence, t, now);
      const maintenance = inMaintenance(config.maintenance, now, target.providerSlug, target.modelSlug);
      const { state } = step;
      // Field by field, not spread (see stepTarget): this runs for every probe.
      statements.saveTarget(tx, target.id, { status: state.status, since: state.since, cause: state.cause, clearEvaluations: state.clearEvaluations, maintenance, baselineP95Ms, baselineAt }, now);
      if (step.transition) {
        logAfterCommit(target.id, 'target_status_changed', { target: target.key, from: step.transition.from, to: step.transition.to, rule: step.transition.cause.rule, value: step.transition.cause.value, maintenance });
      }

      // The provider's decision is a function of its targets' statuses and windows. When this
      // target's status and window flag stand still (the common case: almost every probe) and no
      // window is configured for the provider, it cannot differ from the last one: skip it.
      // A (re)loaded config can change the provider's set of targets, so the first evaluation of
      // each provider under a config object always decides.
      if (config !== decidedUnder) {
        decidedUnder = config;
        decided.clear();
      }
      const windowsApply = config.maintenance.some((w) => w.provider === target.providerSlug);
      if (stored && !step.transition && stored.maintenance === maintenance && !windowsApply && decided.has(target.providerId)) return 0;
      decided.add(target.providerId);

      const provider = { slug: target.providerSlug, name: target.providerName };
      const previous = (await findProviderStatus(tx.kysely, target.providerId)) ?? null;
      const open = toSnapshot(await findOpenIncident(tx.kysely, target.providerId));
      const targets = (await listProviderTargetStatuses(tx.kysely, target.providerId)).map((row) => ({
        model: row.model,
        status: row.status,
        cause: row.cause as Cause | null,
        maintenance: row.maintenance,
      }));
      // Only an incident about to open can reopen the last one: skip the lookup otherwise.
      const mayOpen = !open && targets.some((x) => isIncidentStatus(x.status) && !x.maintenance);
      const lastResolved = mayOpen ? toSnapshot(await findLastResolvedIncident(tx.kysely, target.providerId)) : null;
      const decision = decideProvider({
        provider,
        previous,
        targets,
        providerMaintenance: inMaintenance(config.maintenance, now, target.providerSlug),
        open,
        lastResolved,
        reopenWithinMs: thresholdsOf(config, target.providerSlug).reopenWithin.ms,
        trigger: { model: target.modelSlug, cause: step.transition?.cause ?? step.state.cause ?? step.finding.cause },
        now,
        newIncidentId: prefixedId('inc'),
      });
      const p = decision.state;
      if (!previous || previous.status !== p.status || previous.since !== p.since || previous.maintenance !== p.maintenance) {
        await saveProviderStatus(tx.kysely, target.providerId, p, now);
      }
      const change = decision.change;
      if (!change) return 0;

      const changed = { ...decision, change };
      await writeIncidentChange(tx.kysely, { providerId: target.providerId, provider, previousStatus: previous?.status ?? 'unknown', decision: changed, now, newEventId });
      logAfterCommit(target.id, 'incident_changed', incidentLogFields(provider, changed));
      return decision.events.length;
    },
  };
}
