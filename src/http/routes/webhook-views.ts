import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../config/schema.ts';
import type { AttemptRow, DeliveryRow } from '../../store/deliveries.ts';
import type { EndpointRow } from '../../store/webhooks.ts';
import { isoOrNull as iso } from '../../lib/time.ts';

/** The JSON shapes of webhook endpoints, deliveries and attempts, and their examples. */
export const endpointSchema = z.object({
  id: z.string().describe('we_… (we_cfg_… for endpoints defined in the config file).'),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  source: z.enum(['config', 'api']).describe('config endpoints are read-only here, except for enabled.'),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  failing_since: z.string().nullable().describe('Since when every attempt has failed; null while healthy.'),
  previous_secret_expires_at: z.string().nullable().describe('During a rotation: when the old secret stops signing.'),
  created_at: z.string(),
  updated_at: z.string(),
});

export function endpointView(row: EndpointRow, now: number): z.infer<typeof endpointSchema> {
  const rotating = row.previous_secret_expires_at !== null && Number(row.previous_secret_expires_at) > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as (typeof WEBHOOK_EVENT_TYPES)[number][],
    source: row.source,
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason,
    failing_since: iso(row.failing_since),
    previous_secret_expires_at: rotating ? iso(row.previous_secret_expires_at) : null,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

export const deliverySchema = z.object({
  id: z.string().describe('dlv_…; sent as X-CapPulse-Delivery.'),
  event_id: z.string().describe('evt_…; sent as webhook-id, the same on every attempt.'),
  event_type: z.string(),
  endpoint_id: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  next_attempt_at: z.string().nullable().describe('When pending: the next try.'),
  last_http_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  delivered_at: z.string().nullable(),
});

export function deliveryView(row: DeliveryRow): z.infer<typeof deliverySchema> {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    endpoint_id: row.endpoint_id,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    last_http_status: row.last_http_status,
    last_error: row.last_error,
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    delivered_at: iso(row.delivered_at),
  };
}

export const attemptSchema = z.object({
  attempt: z.number().int(),
  started_at: z.string(),
  duration_ms: z.number(),
  http_status: z.number().int().nullable(),
  response_excerpt: z.string().nullable().describe('The first 1 KB of the response body.'),
  error: z.string().nullable(),
  next_attempt_at: z.string().nullable().describe('The retry this attempt scheduled, if any.'),
});

export function attemptView(row: AttemptRow): z.infer<typeof attemptSchema> {
  return {
    attempt: row.attempt,
    started_at: iso(row.started_at)!,
    duration_ms: Math.round(row.duration_ms * 10) / 10,
    http_status: row.http_status,
    response_excerpt: row.response_excerpt,
    error: row.error,
    next_attempt_at: iso(row.next_attempt_at),
  };
}

export const EXAMPLE_ENDPOINT: z.infer<typeof endpointSchema> = {
  id: 'we_4kVxQ9bT2mRp7LzN1cYd',
  url: 'https://alerts.example.com/cappulse',
  description: 'PagerDuty bridge',
  events: ['incident.created', 'incident.updated'],
  source: 'api',
  enabled: true,
  disabled_reason: null,
  failing_since: null,
  previous_secret_expires_at: null,
  created_at: '2026-11-20T09:00:00.000Z',
  updated_at: '2026-11-20T09:00:00.000Z',
};

export const EXAMPLE_DELIVERY: z.infer<typeof deliverySchema> = {
  id: 'dlv_8sJd2LqP0vXc5RtY7wEa',
  event_id: 'evt_Q3nT8vK1pZ6mW2yB9xLc',
  event_type: 'incident.created',
  endpoint_id: EXAMPLE_ENDPOINT.id,
  status: 'delivered',
  attempts: 2,
  next_attempt_at: null,
  last_http_status: 200,
  last_error: null,
  created_at: '2026-11-26T14:03:10.000Z',
  updated_at: '2026-11-26T14:03:15.400Z',
  delivered_at: '2026-11-26T14:03:15.400Z',
};

export const EXAMPLE_ATTEMPT: z.infer<typeof attemptSchema> = {
  attempt: 1,
  started_at: '2026-11-26T14:03:10.010Z',
  duration_ms: 41.2,
  http_status: 503,
  response_excerpt: 'upstream busy',
  error: 'HTTP 503',
  next_attempt_at: '2026-11-26T14:03:15.300Z',
};
