import type { Gauge, Registry } from 'prom-client';
import type { Headline, ValueSummary } from '../stats/metrics-object.ts';
import type { WindowName } from '../stats/windows.ts';
import type { DeliveryStatus } from '../store/deliveries.ts';
import type { StatusName, StatusView } from '../store/status-read.ts';

/**
 * `GET /metrics` in the Prometheus text format: what CapPulse knows right now (statuses, open
 * incidents, each target's numbers over a window, the webhook backlog) as gauges, plus Node's
 * process metrics. The exposition format is prom-client's; this module only maps a snapshot of
 * CapPulse's state onto named gauges.
 */
export interface PrometheusSnapshot {
  window: WindowName;
  providers: Array<{ slug: string; status: StatusView; openIncidents: number }>;
  targets: Array<{ provider: string; model: string; status: StatusView; metrics: Headline }>;
  deliveries: Record<DeliveryStatus, number>;
}

/** Every status, so each provider and target exports a full state set (one series at 1, the rest 0). */
const STATUSES = Object.keys({ operational: 1, degraded: 1, partial_outage: 1, major_outage: 1, unknown: 1, misconfigured: 1 } satisfies Record<StatusName, 1>) as StatusName[];
const QUANTILES = [
  ['0.5', 'p50'],
  ['0.9', 'p90'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

export interface PrometheusExporter {
  contentType: string;
  render(snapshot: PrometheusSnapshot): Promise<string>;
}

/** One registry per server (no global state), Node's process metrics included. */
export async function createPrometheusExporter(version: string): Promise<PrometheusExporter> {
  // Loaded on the first scrape, not at start-up: a server nobody scrapes keeps its idle memory.
  const client = await import('prom-client');
  const registry: Registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, labelNames: string[]) => new client.Gauge({ name, help, labelNames, registers: [registry] });
  new client.Gauge({ name: 'cappulse_build_info', help: 'CapPulse version (always 1).', labelNames: ['version'], registers: [registry] }).set({ version }, 1);

  const window = ['provider', 'model', 'window'];
  const g = {
    providerStatus: gauge('cappulse_provider_status', 'Provider status as a state set: 1 for the current status.', ['provider', 'status']),
    providerMaintenance: gauge('cappulse_provider_maintenance', '1 while a maintenance window covers the provider.', ['provider']),
    openIncidents: gauge('cappulse_incidents_open', 'Open incidents of the provider.', ['provider']),
    targetStatus: gauge('cappulse_target_status', 'Status of one provider x model as a state set: 1 for the current status.', ['provider', 'model', 'status']),
    probes: gauge('cappulse_window_probes', 'Probes in the window ending now.', window),
    availability: gauge('cappulse_window_availability_ratio', 'Successes / (successes + availability failures) in the window.', window),
    errorRate: gauge('cappulse_window_error_ratio', 'Availability failures / (successes + availability failures) in the window: 1 - availability.', window),
    rateLimitedRate: gauge('cappulse_window_rate_limited_ratio', 'Rate-limited probes / probes in the window.', window),
    latency: gauge('cappulse_window_latency_seconds', 'End-to-end latency of successful probes in the window (t-digest quantiles).', [...window, 'quantile']),
    ttft: gauge('cappulse_window_ttft_seconds', 'Time to first token of successful probes in the window (t-digest quantiles).', [...window, 'quantile']),
    rateLimitRatio: gauge('cappulse_window_rate_limit_lowest_remaining_ratio', 'Lowest remaining/limit ratio the provider reported in the window.', window),
    deliveries: gauge('cappulse_webhook_deliveries', 'Webhook deliveries kept in the outbox, by state.', ['status']),
  };
  const ours: Gauge[] = Object.values(g);

  return {
    contentType: registry.contentType,
    async render(snapshot) {
      // Only our gauges are cleared: a target or provider gone from the config stops being exported.
      for (const metric of ours) metric.reset();
      for (const p of snapshot.providers) {
        for (const status of STATUSES) g.providerStatus.set({ provider: p.slug, status }, p.status.status === status ? 1 : 0);
        g.providerMaintenance.set({ provider: p.slug }, p.status.maintenance ? 1 : 0);
        g.openIncidents.set({ provider: p.slug }, p.openIncidents);
      }
      for (const t of snapshot.targets) {
        for (const status of STATUSES) g.targetStatus.set({ provider: t.provider, model: t.model, status }, t.status.status === status ? 1 : 0);
        const labels = { provider: t.provider, model: t.model, window: snapshot.window };
        const m = t.metrics;
        g.probes.set(labels, m.probes);
        // A rate without probes is unknown, not zero: the series is left out rather than lie.
        if (m.availability !== null) g.availability.set(labels, m.availability);
        if (m.error_rate !== null) g.errorRate.set(labels, m.error_rate);
        if (m.rate_limited_rate !== null) g.rateLimitedRate.set(labels, m.rate_limited_rate);
        if (m.rate_limit.lowest_ratio !== null) g.rateLimitRatio.set(labels, m.rate_limit.lowest_ratio);
        setQuantiles(g.latency, labels, m.latency_ms);
        setQuantiles(g.ttft, labels, m.ttft_ms);
      }
      for (const [status, n] of Object.entries(snapshot.deliveries)) g.deliveries.set({ status }, n);
      return registry.metrics();
    },
  };
}

function setQuantiles(gauge: Gauge, labels: Record<string, string>, summary: ValueSummary | null): void {
  if (summary === null) return;
  for (const [quantile, key] of QUANTILES) gauge.set({ ...labels, quantile }, summary[key] / 1000);
}
