import { z } from 'zod';
import { findDelivery, listAttempts, listDeliveries, requeueDelivery, requeueFailedSince } from '../../store/delivery-history.ts';
import { queueTestEvent } from '../../webhooks/test-event.ts';
import { notFound } from '../errors.ts';
import { decodeCursor, listSchema, pageQuery, toPage } from '../pagination.ts';
import { defineApiRoute, idParams, type ApiRoute } from '../route.ts';
import { EXAMPLE_ATTEMPT, EXAMPLE_DELIVERY, attemptSchema, attemptView, deliverySchema, deliveryView } from './webhook-views.ts';
import { endpointParams, getEndpointRow } from './webhooks.ts';

/** Deliveries: the test event, history by status, one delivery with its attempts, replay. */
const deliveryParams = idParams(EXAMPLE_DELIVERY.id);
// Newest first by seq, which the delivery view does not show: the example is any seq there could be.
const cursorKey = z.number().int();
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-11-26T00:00:00Z' });

export const webhookDeliveryRoutes: ApiRoute[] = [
  defineApiRoute({
    method: 'POST',
    path: '/v1/webhooks/endpoints/:id/test',
    operationId: 'testWebhookEndpoint',
    summary: 'Send a webhook.test event to this endpoint through the normal delivery path',
    tag: 'webhooks',
    auth: 'admin',
    params: endpointParams,
    status: 202,
    errors: ['not_found', 'conflict'],
    response: deliverySchema,
    example: { ...EXAMPLE_DELIVERY, event_type: 'webhook.test', status: 'pending', attempts: 0, next_attempt_at: EXAMPLE_DELIVERY.created_at, last_http_status: null, delivered_at: null },
    async handler({ params, deps }) {
      const { delivery } = await queueTestEvent(deps.db.kysely, params.id, deps.clock.now());
      deps.webhooks?.wake();
      return deliveryView(delivery);
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/webhooks/endpoints/:id/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: "An endpoint's deliveries, newest first, optionally by status",
    tag: 'webhooks',
    auth: 'admin',
    params: endpointParams,
    query: z.strictObject({ ...pageQuery(cursorKey, 1042), status: z.enum(['pending', 'delivered', 'failed']).optional().meta({ example: 'failed' }) }),
    errors: ['not_found'],
    response: listSchema(deliverySchema),
    example: { data: [EXAMPLE_DELIVERY], has_more: false, next_cursor: null },
    async handler({ params, query, deps }) {
      await getEndpointRow(deps, params.id);
      const beforeSeq = decodeCursor(query.cursor, cursorKey);
      const rows = await listDeliveries(deps.db.kysely, params.id, { limit: query.limit + 1, ...(query.status ? { status: query.status } : {}), ...(beforeSeq === undefined ? {} : { beforeSeq }) });
      const page = toPage(rows, query.limit, (row) => row.seq);
      return { ...page, data: page.data.map(deliveryView) };
    },
  }),
  defineApiRoute({
    method: 'POST',
    path: '/v1/webhooks/endpoints/:id/recover',
    operationId: 'recoverWebhookDeliveries',
    summary: 'Queue again every failed delivery of this endpoint since a time',
    tag: 'webhooks',
    auth: 'admin',
    params: endpointParams,
    body: z.strictObject({ since: isoTime }),
    requestExample: { since: '2026-11-25T00:00:00Z' },
    errors: ['not_found'],
    status: 202,
    response: z.object({ recovered: z.number().int().describe('Deliveries queued again.') }),
    example: { recovered: 12 },
    async handler({ params, body, deps }) {
      await getEndpointRow(deps, params.id);
      const recovered = await requeueFailedSince(deps.db.kysely, params.id, Date.parse(body.since), deps.clock.now());
      deps.logger.child('webhooks').info('deliveries_recovered', { endpoint: params.id, since: body.since, recovered });
      deps.webhooks?.wake();
      return { recovered };
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/webhooks/deliveries/:id',
    operationId: 'getWebhookDelivery',
    summary: 'One delivery with every attempt (time, status, duration, response excerpt, error)',
    tag: 'webhooks',
    auth: 'admin',
    params: deliveryParams,
    errors: ['not_found'],
    response: deliverySchema.extend({ attempt_history: z.array(attemptSchema) }),
    example: { ...EXAMPLE_DELIVERY, attempt_history: [EXAMPLE_ATTEMPT, { ...EXAMPLE_ATTEMPT, attempt: 2, http_status: 200, response_excerpt: 'ok', error: null, next_attempt_at: null }] },
    async handler({ params, deps }) {
      const row = await findDelivery(deps.db.kysely, params.id);
      if (!row) throw notFound(`no webhook delivery ${params.id}`);
      const attempts = await listAttempts(deps.db.kysely, row.id);
      return { ...deliveryView(row), attempt_history: attempts.map(attemptView) };
    },
  }),
  defineApiRoute({
    method: 'POST',
    path: '/v1/webhooks/deliveries/:id/redeliver',
    operationId: 'redeliverWebhook',
    summary: 'Send a delivery again (same event id and body), with a fresh retry schedule',
    tag: 'webhooks',
    auth: 'admin',
    params: deliveryParams,
    status: 202,
    errors: ['not_found'],
    response: deliverySchema,
    example: { ...EXAMPLE_DELIVERY, status: 'pending', next_attempt_at: '2026-11-26T15:00:00.000Z' },
    async handler({ params, deps }) {
      const row = await requeueDelivery(deps.db.kysely, params.id, deps.clock.now());
      if (!row) throw notFound(`no webhook delivery ${params.id}`);
      deps.webhooks?.wake();
      return deliveryView(row);
    },
  }),
];
