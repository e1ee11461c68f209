import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { thresholdsSchema } from '../src/config/thresholds.ts';
import { createManualClock } from '../src/lib/clock.ts';
import type { ErrorClass } from '../src/probe/types.ts';
import { gatherEvidence, type Outcome } from '../src/status/evidence.ts';
import { stepTarget } from '../src/status/machine.ts';
import { measure } from '../src/status/rules.ts';
import { mergeThresholds, type ResolvedThresholds } from '../src/status/thresholds.ts';
import type { RuleName, StatusName } from '../src/status/types.ts';

/*
 * Outcome scripts, one character per probe, oldest first, 30 s apart, the last one at `now`:
 * s = success (100 ms), L = slow success (5 s), f = server error, t = timeout, r = rate limited,
 * q = quota exceeded, a = auth error, c = client error.
 */
const CLASS: Record<string, ErrorClass | null> = { s: null, L: null, f: 'server_error', t: 'timeout', r: 'rate_limited', q: 'quota_exceeded', a: 'auth_error', c: 'client_error' };

function outcomes(script: string, now: number, spacing = 30_000): Outcome[] {
  return [...script]
    .map((ch, i) => ({
      startedAt: now - (script.length - 1 - i) * spacing,
      ok: ch === 's' || ch === 'L',
      errorClass: CLASS[ch]!,
      latencyMs: ch === 's' ? 100 : ch === 'L' ? 5000 : null,
    }))
    .reverse();
}

const rep = (s: string, n: number) => s.repeat(n);
const defaults = (over: Record<string, unknown> = {}): ResolvedThresholds => mergeThresholds(thresholdsSchema.parse({}), over as never);

interface Scenario {
  script: string;
  thresholds?: Record<string, unknown>;
  baseline?: number;
  measured: StatusName;
  rule: RuleName;
  /** Does the script end in at least recovery_successes (2) successes? */
  successes: boolean;
}

/** Each cause, with enough data and (where a minimum applies) without it. */
const SCENARIOS: Record<string, Scenario> = {
  healthy: { script: rep('s', 60), measured: 'operational', rule: 'healthy', successes: true },
  'too few probes': { script: 'ss', measured: 'unknown', rule: 'insufficient_data', successes: true },
  'one failure in a short history': { script: 'sssssf', measured: 'operational', rule: 'healthy', successes: false },
  'one rate-limited probe in a short history': { script: 'sssssr', measured: 'operational', rule: 'healthy', successes: false },
  'consecutive failures': { script: rep('s', 57) + 'fft', measured: 'major_outage', rule: 'consecutive_failures', successes: false },
  'consecutive failures, no history': { script: 'fff', measured: 'major_outage', rule: 'consecutive_failures', successes: false },
  'rate-limited probes do not break a failure run': { script: rep('s', 57) + 'frfrf', measured: 'major_outage', rule: 'consecutive_failures', successes: false },
  'major error rate': { script: rep('s', 40) + rep('fs', 10), measured: 'major_outage', rule: 'major_error_rate', successes: false },
  'major error rate, too few probes': { script: 'fsfs', measured: 'unknown', rule: 'insufficient_data', successes: false },
  'partial error rate': { script: rep('s', 30) + rep('fssss', 6), measured: 'partial_outage', rule: 'partial_error_rate', successes: true },
  'degraded error rate': { script: rep('fssssssss', 3) + rep('s', 33), measured: 'degraded', rule: 'degraded_error_rate', successes: true },
  'latency p95': { script: rep('L', 60), thresholds: { latency_p95_ms: 1000 }, measured: 'degraded', rule: 'latency_p95', successes: true },
  'latency p95, too few samples': { script: rep('L', 19), thresholds: { latency_p95_ms: 1000 }, measured: 'operational', rule: 'healthy', successes: true },
  'latency p95 relative': { script: rep('L', 60), thresholds: { latency_p95_relative: 2 }, baseline: 100, measured: 'degraded', rule: 'latency_p95_relative', successes: true },
  'rate limited': { script: rep('s', 50) + rep('r', 10), measured: 'degraded', rule: 'rate_limited', successes: false },
  'rate limited, too few probes': { script: 'rrrr', measured: 'unknown', rule: 'insufficient_data', successes: false },
  'quota exceeded': { script: rep('s', 50) + rep('q', 10), measured: 'degraded', rule: 'quota_exceeded', successes: false },
  misconfigured: { script: rep('s', 57) + 'aca', measured: 'misconfigured', rule: 'misconfigured', successes: false },
  'misconfigured, too short a run': { script: rep('s', 58) + 'aa', measured: 'operational', rule: 'healthy', successes: false },
};

const STATUSES: StatusName[] = ['operational', 'unknown', 'misconfigured', 'degraded', 'partial_outage', 'major_outage'];

/**
 * The expected row of machine.ts's table for each (current, measured) pair; `h` is the recovery
 * hysteresis: row 6 when it is satisfied, row 7 (held) when not.
 */
const ROW: Record<StatusName, Record<StatusName, number | 'h'>> = {
  operational: { operational: 1, unknown: 4, misconfigured: 2, degraded: 5, partial_outage: 5, major_outage: 5 },
  unknown: { operational: 4, unknown: 1, misconfigured: 2, degraded: 5, partial_outage: 5, major_outage: 5 },
  misconfigured: { operational: 3, unknown: 3, misconfigured: 1, degraded: 3, partial_outage: 3, major_outage: 3 },
  degraded: { operational: 'h', unknown: 'h', misconfigured: 2, degraded: 1, partial_outage: 5, major_outage: 5 },
  partial_outage: { operational: 'h', unknown: 'h', misconfigured: 2, degraded: 'h', partial_outage: 1, major_outage: 5 },
  major_outage: { operational: 'h', unknown: 'h', misconfigured: 2, degraded: 'h', partial_outage: 'h', major_outage: 1 },
};

describe('rules: each cause measures the status it names', () => {
  for (const [name, s] of Object.entries(SCENARIOS)) {
    test(name, () => {
      const clock = createManualClock();
      const t = defaults(s.thresholds);
      const finding = measure(gatherEvidence(outcomes(s.script, clock.now()), t, clock.now(), s.baseline ?? null), t);
      assert.equal(finding.status, s.measured);
      assert.equal(finding.cause.rule, s.rule);
    });
  }
});

describe('state machine: every status to every other, under every cause', () => {
  for (const from of STATUSES) {
    for (const [name, s] of Object.entries(SCENARIOS)) {
      for (const clear of from === 'degraded' || from === 'partial_outage' || from === 'major_outage' ? [0, 1] : [0]) {
        test(`${from} (clear ${clear}) + ${name}`, () => {
          const clock = createManualClock();
          const since = clock.now();
          clock.advance(3_600_000);
          const now = clock.now();
          const t = defaults(s.thresholds);
          const evidence = gatherEvidence(outcomes(s.script, now), t, now, s.baseline ?? null);
          const step = stepTarget({ status: from, since, cause: null, clearEvaluations: clear }, evidence, t, now);
          const expected = ROW[from][s.measured];
          const row = expected === 'h' ? (clear + 1 >= 2 && s.successes ? 6 : 7) : expected;
          assert.equal(step.row, row, 'table row');
          const next = row === 1 || row === 7 ? from : s.measured;
          assert.equal(step.state.status, next);
          if (row === 1 || row === 7) {
            assert.equal(step.transition, null);
            assert.equal(step.state.since, since, 'since is kept while the status holds');
            assert.equal(step.state.clearEvaluations, row === 7 ? clear + 1 : 0);
          } else {
            assert.deepEqual([step.transition?.from, step.transition?.to, step.transition?.at], [from, next, now]);
            assert.equal(step.transition?.cause.rule, row === 6 ? 'recovery' : s.rule);
            assert.equal(step.state.since, now);
            assert.equal(step.state.clearEvaluations, 0);
          }
        });
      }
    }
  }
});

test('hysteresis: a major outage recovers on the second clear evaluation with two successes in a row, not before', () => {
  const clock = createManualClock();
  const t = defaults();
  let script = rep('s', 57) + 'fff';
  let state = stepTarget({ status: 'operational', since: clock.now(), cause: null, clearEvaluations: 0 }, gatherEvidence(outcomes(script, clock.now()), t, clock.now()), t, clock.now()).state;
  assert.equal(state.status, 'major_outage');
  const seen: Array<[string, StatusName, number]> = [];
  // A success, a failure (the run restarts), then successes: only the second clear evaluation with a run of 2 recovers.
  for (const ch of 'sfsss') {
    clock.advance(30_000);
    script = script.slice(1) + ch;
    const step = stepTarget(state, gatherEvidence(outcomes(script, clock.now()), t, clock.now()), t, clock.now());
    state = step.state;
    seen.push([ch, state.status, step.row]);
  }
  assert.deepEqual(seen, [
    ['s', 'major_outage', 7],
    ['f', 'major_outage', 7],
    ['s', 'major_outage', 7],
    ['s', 'degraded', 6],
    ['s', 'degraded', 1],
  ]);
  // The four failures still weigh 4/60 ≥ 5% over 30 min: degraded until they leave the window.
  assert.equal(state.cause?.rule, 'degraded_error_rate');
});

test('windows are (now - length, now]: a failure exactly one window old no longer counts', () => {
  const clock = createManualClock();
  const t = defaults({ degraded_window: '10m', major_window: '10m', partial_window: '10m', rate_limited_window: '10m', latency_window: '10m' });
  const now = clock.now();
  const base = outcomes(rep('s', 20), now);
  const inside = gatherEvidence([...base, { startedAt: now - 600_000 + 1, ok: false, errorClass: 'server_error', latencyMs: null }], t, now);
  const edge = gatherEvidence([...base, { startedAt: now - 600_000, ok: false, errorClass: 'server_error', latencyMs: null }], t, now);
  assert.equal(inside.degraded.failures, 1);
  assert.equal(edge.degraded.failures, 0);
});
