import type { Generated } from 'kysely';

/**
 * Table types for kysely. Times are epoch milliseconds (integers) so the same columns work on
 * PostgreSQL as bigint. Later migrations add their tables here.
 */
export interface ProvidersTable {
  id: Generated<number>;
  slug: string;
  name: string;
  kind: string;
  /** Base URL without query string or credentials: those can hold secrets. */
  base_url: string;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface ModelsTable {
  id: Generated<number>;
  slug: string;
  name: string;
  created_at: number;
}

export interface TargetsTable {
  id: Generated<number>;
  provider_id: number;
  model_id: number;
  provider_model_id: string;
  schedule: string;
  active: number;
  created_at: number;
  updated_at: number;
}

export interface ProbeResultsTable {
  id: Generated<number>;
  target_id: number;
  started_at: number;
  ok: number;
  error_class: string | null;
  http_status: number | null;
  latency_ms: number | null;
  ttft_ms: number | null;
  ttfb_ms: number | null;
  output_tokens: number | null;
  request_id: string | null;
  /** Normalized rate-limit snapshot as JSON, or null when the provider sent none. */
  rate_limit: string | null;
  error_message: string | null;
}

export interface EventsTable {
  id: string;
  type: string;
  created_at: number;
  /** The envelope exactly as sent: serialized once, the same bytes on every attempt. */
  payload: string;
  incident_id: string | null;
  provider_id: number | null;
}

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: string | null;
  /** JSON array of event types. */
  events: string;
  source: 'config' | 'api';
  /** Null for config endpoints: their secret stays in the running config. */
  secret: string | null;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  enabled: number;
  disabled_reason: string | null;
  failing_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface DeliveriesTable {
  seq: Generated<number>;
  id: string;
  event_id: string;
  endpoint_id: string;
  event_type: string;
  ordering_key: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  round_attempts: number;
  next_attempt_at: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  last_http_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface DeliveryAttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  http_status: number | null;
  response_excerpt: string | null;
  error: string | null;
  next_attempt_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** `cp_live_` and a few characters: enough to recognise a key, never enough to use it. */
  prefix: string;
  /** SHA-256 hex of the full key; the key itself is never stored. */
  hash: string;
  /** Comma-separated: `read`, `admin`. */
  scopes: string;
  /** Requests per minute; null = the config default. */
  rate_limit: number | null;
  /** Requests per calendar month (UTC); null = the config default. */
  monthly_quota: number | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface UsageTable {
  key_id: string;
  /** Epoch ms of the first instant of the UTC calendar month. */
  period_start: number;
  requests: number;
}

export interface TargetStatusTable {
  target_id: number;
  status: string;
  since: number;
  /** JSON cause (rule, value, threshold, window, samples). */
  cause: string | null;
  /** Consecutive evaluations that found the condition cleared: the recovery hysteresis. */
  clear_evaluations: number;
  maintenance: number;
  evaluated_at: number;
  /** The target's own 7-day p95, cached for the relative latency rule. */
  baseline_p95_ms: number | null;
  baseline_at: number | null;
}

export interface ProviderStatusTable {
  provider_id: number;
  status: string;
  since: number;
  maintenance: number;
  evaluated_at: number;
}

export interface IncidentsTable {
  id: string;
  provider_id: number;
  status: 'open' | 'resolved';
  severity: string;
  scope: string;
  /** JSON array of model slugs currently affected. */
  affected_models: string;
  title: string;
  cause: string;
  started_at: number;
  updated_at: number;
  resolved_at: number | null;
}

export interface IncidentModelsTable {
  incident_id: string;
  model_slug: string;
}

export interface IncidentUpdatesTable {
  id: Generated<number>;
  incident_id: string;
  created_at: number;
  kind: string;
  status: 'open' | 'resolved';
  severity: string;
  affected_models: string;
  message: string;
  cause: string;
}

/** One minute or hour of one target (rollups_minute, rollups_hour): derived from probe_results. */
export interface RollupsTable {
  target_id: number;
  bucket: number;
  probes: number;
  ok: number;
  timeout: number;
  network: number;
  overloaded: number;
  server_error: number;
  bad_response: number;
  rate_limited: number;
  quota_exceeded: number;
  auth_error: number;
  client_error: number;
  latency_count: number;
  latency_sum: number;
  latency_max: number | null;
  latency_digest: Uint8Array | null;
  ttft_count: number;
  ttft_sum: number;
  ttft_max: number | null;
  ttft_digest: Uint8Array | null;
  rl_min_ratio: number | null;
  /** When the bucket's newest rate-limit snapshot was taken; the snapshot stays in probe_results. */
  rl_latest_at: number | null;
}

export interface Database {
  api_keys: ApiKeysTable;
  usage: UsageTable;
  providers: ProvidersTable;
  models: ModelsTable;
  targets: TargetsTable;
  probe_results: ProbeResultsTable;
  events: EventsTable;
  target_status: TargetStatusTable;
  provider_status: ProviderStatusTable;
  incidents: IncidentsTable;
  incident_models: IncidentModelsTable;
  incident_updates: IncidentUpdatesTable;
  webhook_endpoints: WebhookEndpointsTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  rollups_minute: RollupsTable;
  rollups_hour: RollupsTable;
}
