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

export interface Database {
  api_keys: ApiKeysTable;
  usage: UsageTable;
  providers: ProvidersTable;
  models: ModelsTable;
  targets: TargetsTable;
  probe_results: ProbeResultsTable;
  events: EventsTable;
}
