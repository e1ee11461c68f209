import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import { decideProvider, providerStatusOf, type IncidentSnapshot, type ProviderInput, type TargetView } from '../src/status/incident.ts';
import { inMaintenance, windowAt } from '../src/status/maintenance.ts';
import { thresholdsFor } from '../src/status/thresholds.ts';
import type { Cause, StatusName } from '../src/status/types.ts';

const NOW = Date.UTC(2026, 0, 1, 12);
const cause = (rule: Cause['rule'] = 'consecutive_failures'): Cause => ({ rule, value: 3, threshold: 3, window: null, samples: 3 });
const target = (model: string, status: StatusName, maintenance = false): TargetView => ({ model, status, cause: cause(), maintenance });
const incident = (over: Partial<IncidentSnapshot> = {}): IncidentSnapshot => ({
  id: 'inc_old',
  status: 'open',
  severity: 'major_outage',
  scope: 'provider',
  affectedModels: ['a', 'b'],
  title: 'Acme: major outage',
  cause: { ...cause(), model: 'a' },
  startedAt: NOW - 600_000,
  updatedAt: NOW - 600_000,
  resolvedAt: null,
  ...over,
});

function decide(over: Partial<ProviderInput>) {
  return decideProvider({
    provider: { slug: 'acme', name: 'Acme' },
    previous: { status: 'operational', since: NOW - 3_600_000, maintenance: false },
    targets: [target('a', 'operational'), target('b', 'operational')],
    providerMaintenance: false,
    open: null,
    lastResolved: null,
    reopenWithinMs: 900_000,
    trigger: { model: 'a', cause: cause() },
    now: NOW,
    newIncidentId: 'inc_new',
    ...over,
  });
}

const summary = (d: ReturnType<typeof decide>) => ({ kind: d.change?.update.kind ?? null, events: d.events, id: d.change?.incident.id ?? null });

test('row: no incident, nothing affected → nothing', () => {
  assert.deepEqual(summary(decide({})), { kind: null, events: [], id: null });
});

test('row: no incident, all targets affected → opened, provider-scoped, created + degraded', () => {
  const d = decide({ targets: [target('a', 'major_outage'), target('b', 'degraded')] });
  assert.deepEqual(summary(d), { kind: 'opened', events: ['incident.created', 'provider.degraded'], id: 'inc_new' });
  assert.equal(d.change?.incident.scope, 'provider');
  assert.equal(d.change?.incident.severity, 'major_outage');
  assert.deepEqual(d.change?.incident.affectedModels, ['a', 'b']);
  assert.equal(d.change?.incident.title, 'Acme: major outage');
  assert.equal(d.state.status, 'major_outage');
  assert.equal(d.state.since, NOW);
});

test('row: one model failing while the rest are healthy → model-scoped incident naming it', () => {
  const d = decide({ targets: [target('a', 'major_outage'), target('b', 'operational'), target('c', 'operational')] });
  assert.equal(d.change?.incident.scope, 'model');
  assert.deepEqual(d.change?.incident.affectedModels, ['a']);
  assert.equal(d.change?.incident.title, 'Acme a: major outage');
});

test('row: no incident, last resolved within reopen_within → reopened (updated + degraded), same id and start', () => {
  const last = incident({ status: 'resolved', resolvedAt: NOW - 900_000 });
  const d = decide({ targets: [target('a', 'degraded'), target('b', 'degraded')], lastResolved: last });
  assert.deepEqual(summary(d), { kind: 'reopened', events: ['incident.updated', 'provider.degraded'], id: 'inc_old' });
  assert.equal(d.change?.incident.startedAt, last.startedAt);
  assert.equal(d.change?.incident.resolvedAt, null);
  assert.equal(d.change?.isNew, false);
});

test('row: no incident, last resolved longer ago than reopen_within → a new incident', () => {
  const d = decide({ targets: [target('a', 'degraded'), target('b', 'degraded')], lastResolved: incident({ status: 'resolved', resolvedAt: NOW - 900_001 }) });
  assert.deepEqual(summary(d), { kind: 'opened', events: ['incident.created', 'provider.degraded'], id: 'inc_new' });
});

test('row: open incident, nothing affected → resolved (updated, then recovered)', () => {
  const d = decide({ open: incident(), previous: { status: 'major_outage', since: NOW - 600_000, maintenance: false }, trigger: { model: 'a', cause: cause('recovery') } });
  assert.deepEqual(summary(d), { kind: 'resolved', events: ['incident.updated', 'provider.recovered'], id: 'inc_old' });
  assert.equal(d.change?.incident.resolvedAt, NOW);
  assert.equal(d.change?.update.cause.rule, 'recovery');
  assert.equal(d.state.status, 'operational');
});

test('row: open incident, severity changed → severity_changed', () => {
  const d = decide({ open: incident(), targets: [target('a', 'degraded'), target('b', 'degraded')] });
  assert.deepEqual(summary(d), { kind: 'severity_changed', events: ['incident.updated'], id: 'inc_old' });
  assert.equal(d.change?.incident.severity, 'degraded');
});

test('row: open incident, affected models changed → models_changed with the scope following', () => {
  const d = decide({ open: incident(), targets: [target('a', 'major_outage'), target('b', 'operational')], trigger: { model: 'b', cause: cause('recovery') } });
  assert.deepEqual(summary(d), { kind: 'models_changed', events: ['incident.updated'], id: 'inc_old' });
  assert.deepEqual(d.change?.incident.affectedModels, ['a']);
  assert.equal(d.change?.incident.scope, 'model');
  assert.equal(d.change?.update.cause.model, 'b');
});

test('row: open incident, same severity and models → nothing', () => {
  assert.deepEqual(summary(decide({ open: incident(), targets: [target('a', 'major_outage'), target('b', 'major_outage')] })), { kind: null, events: [], id: null });
});

test('maintenance: a provider-wide window opens nothing and fires nothing, but the status is still shown', () => {
  const d = decide({ targets: [target('a', 'major_outage', true), target('b', 'major_outage', true)], providerMaintenance: true });
  assert.deepEqual(summary(d), { kind: null, events: [], id: null });
  assert.equal(d.state.status, 'major_outage');
  assert.equal(d.state.maintenance, true);
  // An open incident is frozen too: no resolution fires inside the window.
  assert.deepEqual(summary(decide({ open: incident(), providerMaintenance: true })), { kind: null, events: [], id: null });
});

test('maintenance: a model under maintenance is left out of the incident', () => {
  const d = decide({ targets: [target('a', 'major_outage', true), target('b', 'operational')] });
  assert.deepEqual(summary(d), { kind: null, events: [], id: null });
});

test('maintenance: a model already in the open incident stays listed and keeps it open; others still change it', () => {
  const open = incident({ affectedModels: ['a'], scope: 'model' });
  // a's window starts while it is healthy again: no resolution during the window.
  assert.deepEqual(summary(decide({ open, targets: [target('a', 'operational', true), target('b', 'operational')] })), { kind: null, events: [], id: null });
  // b (not in a window) joins: the change is b's, and a stays listed.
  const d = decide({ open, targets: [target('a', 'operational', true), target('b', 'major_outage')], trigger: { model: 'b', cause: cause() } });
  assert.deepEqual(summary(d), { kind: 'models_changed', events: ['incident.updated'], id: 'inc_old' });
  assert.deepEqual(d.change?.incident.affectedModels, ['a', 'b']);
});

test('provider status: worst of its targets; healthy beats unknown and misconfigured', () => {
  const cases: Array<[StatusName[], StatusName]> = [
    [[], 'unknown'],
    [['unknown', 'unknown'], 'unknown'],
    [['misconfigured', 'unknown'], 'misconfigured'],
    [['operational', 'misconfigured'], 'operational'],
    [['operational', 'degraded'], 'degraded'],
    [['partial_outage', 'degraded', 'major_outage'], 'major_outage'],
  ];
  for (const [statuses, expected] of cases) assert.equal(providerStatusOf(statuses.map((s, i) => target(`m${i}`, s))), expected, statuses.join(','));
  // A misconfigured target is shown but does not open a provider incident.
  assert.deepEqual(summary(decide({ targets: [target('a', 'misconfigured'), target('b', 'operational')] })).events, []);
});

test('thresholds: model overrides beat provider overrides, which beat the global section', () => {
  const config = validateConfig(
    {
      thresholds: { major_consecutive_failures: 4, degraded_window: '20m' },
      providers: [{ slug: 'acme', kind: 'openai', base_url: 'https://acme.test/v1', thresholds: { major_consecutive_failures: 5, latency_p95_ms: 800 }, models: [{ slug: 'm1', thresholds: { latency_p95_ms: 2000 } }, { slug: 'm2' }] }],
    },
    'test',
    {},
  );
  const m1 = thresholdsFor(config, 'acme', 'm1');
  const m2 = thresholdsFor(config, 'acme', 'm2');
  assert.deepEqual([m1.majorConsecutiveFailures, m1.latencyP95Ms, m1.degradedWindow.ms, m1.partialWindow.ms], [5, 2000, 1_200_000, 900_000]);
  assert.deepEqual([m2.majorConsecutiveFailures, m2.latencyP95Ms], [5, 800]);
  assert.equal(thresholdsFor(config, 'acme').latencyP95Ms, 800);
});

test('maintenance windows: fixed [start, end) and cron + duration (UTC), per provider or per model', () => {
  const windows = [
    { provider: 'acme', start: '2026-01-01T02:00:00Z', end: '2026-01-01T04:00:00Z' },
    { provider: 'beta', models: ['m1'], cron: '0 3 * * 0', duration: '1h' },
  ];
  const at = (iso: string) => Date.parse(iso);
  assert.equal(inMaintenance(windows, at('2026-01-01T01:59:59.999Z'), 'acme', 'x'), false);
  assert.equal(inMaintenance(windows, at('2026-01-01T02:00:00Z'), 'acme', 'x'), true);
  assert.equal(inMaintenance(windows, at('2026-01-01T02:00:00Z'), 'acme'), true);
  assert.equal(inMaintenance(windows, at('2026-01-01T04:00:00Z'), 'acme', 'x'), false);
  // 2026-01-04 is a Sunday.
  assert.equal(inMaintenance(windows, at('2026-01-04T03:30:00Z'), 'beta', 'm1'), true);
  assert.equal(inMaintenance(windows, at('2026-01-04T03:30:00Z'), 'beta', 'm2'), false);
  assert.equal(inMaintenance(windows, at('2026-01-04T03:30:00Z'), 'beta'), false, 'a model window does not cover the whole provider');
  assert.equal(inMaintenance(windows, at('2026-01-04T04:00:00Z'), 'beta', 'm1'), false);
  assert.equal(windowAt(windows[1]!, at('2026-01-04T03:00:00Z'))?.end, at('2026-01-04T04:00:00Z'));
});
