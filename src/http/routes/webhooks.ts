import { z } from 'zod';
import { httpUrl } from '../../config/fields.ts';
import { WEBHOOK_EVENT_TYPES } from '../../config/schema.ts';
import { parseDuration } from '../../lib/durations.ts';
import { AppError } from '../../lib/errors.ts';
import { prefixedId } from '../../lib/ids.ts';
import { deleteEndpoint, findEndpoint, insertEndpoint, listEndpoints, rotateEndpointSecret, updateEndpoint, type EndpointRow } from '../../store/webhooks.ts';
import { generateSecret } from '../../webhooks/sign.ts';
import { assertUrlAllowed } from '../../webhooks/ssrf.ts';
import type { HttpDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { decodeCursor, listSchema, pageQuery, toPage } from '../pagination.ts';
import { defineApiRoute, idParams, type ApiRoute } from '../route.ts';
import { EXAMPLE_ENDPOINT, endpointSchema, endpointView } from './webhook-views.ts';

/** Webhook endpoints: create (the secret is shown once), list, get, update, delete, rotate. */
export const endpointParams = idParams(EXAMPLE_ENDPOINT.id);
const events = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1, 'subscribe to at least one event type');
const cursorKey = z.tuple([z.number(), z.string()]);
const durationText = z.string().refine((text) => (parseDuration(text) ?? -1) >= 0, { error: 'must be a duration such as 24h, 30m or 0s' });

export async function getEndpointRow(deps: HttpDeps, id: string): Promise<EndpointRow> {
  const row = await findEndpoint(deps.db.kysely, id);
  if (!row) throw notFound(`no webhook endpoint ${id}`);
  return row;
}

function readOnly(row: EndpointRow, what: string): void {
  if (row.source === 'config') throw new AppError('conflict', `endpoint ${row.id} is defined in the config file (webhooks.endpoints); ${what} it there and restart or reload`);
}

async function checkUrl(deps: HttpDeps, url: string): Promise<void> {
  const { allow_private: allowPrivate, allow_hosts: allowHosts } = deps.config().webhooks;
  await assertUrlAllowed(url, { allowPrivate, allowHosts });
}

const view = (deps: HttpDeps) => (row: EndpointRow) => endpointView(row, deps.clock.now());

export const webhookEndpointRoutes: ApiRoute[] = [
  defineApiRoute({
    method: 'POST',
    path: '/v1/webhooks/endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Create a webhook endpoint; the response is the only time its signing secret is shown',
    tag: 'webhooks',
    auth: 'admin',
    status: 201,
    body: z.strictObject({
      url: httpUrl,
      events: events.default([...WEBHOOK_EVENT_TYPES]),
      description: z.string().max(500).nullable().optional(),
    }),
    requestExample: { url: 'https://alerts.example.com/cappulse', events: ['incident.created', 'incident.updated'], description: 'PagerDuty bridge' },
    response: endpointSchema.extend({ secret: z.string().describe('whsec_…: store it now; it is not shown again.') }),
    example: { ...EXAMPLE_ENDPOINT, secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD' },
    async handler({ body, deps }) {
      await checkUrl(deps, body.url);
      const secret = generateSecret();
      const row = await insertEndpoint(deps.db.kysely, { id: prefixedId('we'), url: body.url, events: body.events, description: body.description ?? null, secret }, deps.clock.now());
      // The host only: some receivers (Slack, for one) carry their secret in the URL path.
      deps.logger.child('webhooks').info('endpoint_created', { endpoint: row.id, host: new URL(row.url).host });
      return { ...view(deps)(row), secret };
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/webhooks/endpoints',
    operationId: 'listWebhookEndpoints',
    summary: 'List webhook endpoints, oldest first (config and API ones; never their secrets)',
    tag: 'webhooks',
    auth: 'admin',
    query: z.strictObject(pageQuery(cursorKey, [Date.parse(EXAMPLE_ENDPOINT.created_at), EXAMPLE_ENDPOINT.id])),
    response: listSchema(endpointSchema),
    example: { data: [EXAMPLE_ENDPOINT], has_more: false, next_cursor: null },
    async handler({ query, deps }) {
      const after = decodeCursor(query.cursor, cursorKey);
      const rows = await listEndpoints(deps.db.kysely, query.limit + 1, after);
      const page = toPage(rows, query.limit, (row) => [Number(row.created_at), row.id]);
      return { ...page, data: page.data.map(view(deps)) };
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/webhooks/endpoints/:id',
    operationId: 'getWebhookEndpoint',
    summary: 'One webhook endpoint',
    tag: 'webhooks',
    auth: 'admin',
    params: endpointParams,
    errors: ['not_found'],
    response: endpointSchema,
    example: EXAMPLE_ENDPOINT,
    async handler({ params, deps }) {
      return view(deps)(await getEndpointRow(deps, params.id));
    },
  }),
  defineApiRoute({
    method: 'PATCH',
    path: '/v1/webhooks/endpoints/:id',
    operationId: 'updateWebhookEndpoint',
    summary: 'Change the URL, events, description or enabled flag (config endpoints: enabled only)',
    description: 'Re-enabling an endpoint that CapPulse disabled (410 Gone, days of failures) restarts its failure clock; recover its failed deliveries with the recover route.',
    tag: 'webhooks',
    auth: 'admin',
    params: endpointParams,
    body: z.strictObject({ url: httpUrl.optional(), events: events.optional(), description: z.string().max(500).nullable().optional(), enabled: z.boolean().optional() }),
    requestExample: { events: ['incident.created', 'incident.updated', 'provider.recovered'], enabled: true },
    errors: ['not_found', 'conflict'],
    response: endpointSchema,
    example: EXAMPLE_ENDPOINT,
    async handler({ params, body, deps }) {
      const row = await getEndpointRow(deps, params.id);
      const { enabled, ...fields } = body;
      if (Object.values(fields).some((value) => value !== undefined)) readOnly(row, 'change');
      if (body.url !== undefined) await checkUrl(deps, body.url);
      const updated = await updateEndpoint(deps.db.kysely, row.id, body, deps.clock.now());
      if (!updated) throw notFound(`no webhook endpoint ${params.id}`);
      if (enabled === true) deps.webhooks?.wake();
      return view(deps)(updated);
    },
  }),
  defineApiRoute({
    method: 'DELETE',
    path: '/v1/webhooks/endpoints/:id',
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint with its delivery history',
    tag: 'webhooks',
    auth: 'admin',
    params: endpointParams,
    errors: ['not_found', 'conflict'],
    response: z.object({ id: z.string(), deleted: z.literal(true) }),
    example: { id: EXAMPLE_ENDPOINT.id, deleted: true },
    async handler({ params, deps }) {
      readOnly(await getEndpointRow(deps, params.id), 'remove');
      await deleteEndpoint(deps.db.kysely, params.id);
      deps.logger.child('webhooks').info('endpoint_deleted', { endpoint: params.id });
      return { id: params.id, deleted: true as const };
    },
  }),
  defineApiRoute({
    method: 'POST',
    path: '/v1/webhooks/endpoints/:id/rotate',
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the signing secret; the old one keeps signing too for a grace period',
    description: 'During the grace period every delivery carries two v1 signatures in webhook-signature, and X-CapPulse-Signature-Previous beside X-CapPulse-Signature, so receivers can switch secrets on their own schedule.',
    tag: 'webhooks',
    auth: 'admin',
    params: endpointParams,
    body: z.strictObject({ grace: durationText.optional().describe('How long the old secret also signs (default webhooks.rotation_grace, 24h).') }),
    requestExample: { grace: '24h' },
    errors: ['not_found', 'conflict'],
    response: endpointSchema.extend({ secret: z.string().describe('The new whsec_… secret: shown once.') }),
    example: { ...EXAMPLE_ENDPOINT, previous_secret_expires_at: '2026-11-27T09:00:00.000Z', secret: 'whsec_9ydpU1jJ3uX5hS0XbqvA4fNDmT6gKk2L' },
    async handler({ params, body, deps }) {
      readOnly(await getEndpointRow(deps, params.id), 'rotate the secret');
      const now = deps.clock.now();
      const grace = parseDuration(body.grace ?? deps.config().webhooks.rotation_grace) ?? 86_400_000;
      const secret = generateSecret();
      const row = await rotateEndpointSecret(deps.db.kysely, params.id, secret, now + grace, now);
      if (!row) throw notFound(`no webhook endpoint ${params.id}`);
      deps.logger.child('webhooks').info('secret_rotated', { endpoint: row.id, grace_ms: grace });
      return { ...view(deps)(row), secret };
    },
  }),
];
