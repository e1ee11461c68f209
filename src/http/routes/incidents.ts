import { z } from 'zod';
import { slug } from '../../config/fields.ts';
import type { IncidentCause, IncidentSnapshot, IncidentUpdatePlan } from '../../status/incident.ts';
import { incidentView, updateView } from '../../status/payloads.ts';
import { findIncident, listIncidents, listIncidentUpdates, type IncidentRow } from '../../store/incidents.ts';
import type { HttpDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { decodeCursor, encodeCursor, listSchema, MAX_PAGE, pageQuery, toPage } from '../pagination.ts';
import { defineApiRoute, type ApiRoute } from '../route.ts';

const causeSchema = z
  .object({
    rule: z.string().describe('The rule that decided: consecutive_failures, major_error_rate, partial_error_rate, degraded_error_rate, latency_p95, latency_p95_relative, rate_limited, quota_exceeded, misconfigured, recovery, …'),
    value: z.number().nullable().describe('What was measured (a share 0–1, milliseconds, or a count).'),
    threshold: z.number().nullable().describe('What it was compared with, in the same unit.'),
    window: z.string().nullable().describe('The window it was measured over (`10m`), or null for a run of probes.'),
    samples: z.number().int().describe('How many probes the value rests on.'),
    model: z.string().describe('The model whose evaluation produced this cause.'),
  })
  .describe('Why: rule, measured value, threshold, window.');

const incidentSchema = z.object({
  id: z.string().describe('`inc_…`'),
  provider: z.string(),
  provider_name: z.string(),
  scope: z.enum(['provider', 'model']).describe('`model` when only some of the provider\'s models are affected.'),
  affected_models: z.array(z.string()),
  status: z.enum(['open', 'resolved']),
  severity: z.enum(['degraded', 'partial_outage', 'major_outage']),
  title: z.string(),
  cause: causeSchema,
  started_at: z.string(),
  updated_at: z.string(),
  resolved_at: z.string().nullable(),
});

const updateSchema = z.object({
  id: z.number().int(),
  at: z.string(),
  kind: z.enum(['opened', 'reopened', 'severity_changed', 'models_changed', 'resolved']),
  status: z.enum(['open', 'resolved']),
  severity: z.enum(['degraded', 'partial_outage', 'major_outage']),
  affected_models: z.array(z.string()),
  message: z.string(),
  cause: causeSchema,
});

const exampleCause = { rule: 'consecutive_failures', value: 3, threshold: 3, window: null, samples: 3, model: 'gpt-4o-mini' } as const;
const exampleIncident = {
  id: 'inc_4fQ9xZ2mK7pR1tWb8cYd',
  provider: 'openai',
  provider_name: 'OpenAI',
  scope: 'model' as const,
  affected_models: ['gpt-4o-mini'],
  status: 'open' as const,
  severity: 'major_outage' as const,
  title: 'OpenAI gpt-4o-mini: major outage',
  cause: exampleCause,
  started_at: '2026-11-26T14:02:30.000Z',
  updated_at: '2026-11-26T14:02:30.000Z',
  resolved_at: null,
};
const exampleUpdate = {
  id: 1,
  at: exampleIncident.started_at,
  kind: 'opened' as const,
  status: 'open' as const,
  severity: 'major_outage' as const,
  affected_models: ['gpt-4o-mini'],
  message: 'Opened: major outage; gpt-4o-mini: 3 consecutive availability failures (threshold 3)',
  cause: exampleCause,
};

function toView(row: IncidentRow) {
  const snapshot = { ...row, cause: row.cause as IncidentCause } as IncidentSnapshot;
  return incidentView(snapshot, { slug: row.providerSlug, name: row.providerName });
}

const cursorKey = z.tuple([z.number(), z.string()]);
/** A timeline cursor is the (at, id) of the last entry a page showed. */
const timelineCursorKey = z.tuple([z.number().int(), z.number().int()]);

const incidentParams = z.strictObject({ id: z.string().regex(/^inc_[A-Za-z0-9]{1,64}$/, 'must be an incident id (inc_…)').meta({ example: exampleIncident.id }) });

async function getIncident(deps: HttpDeps, id: string): Promise<IncidentRow> {
  const row = await findIncident(deps.db.kysely, id);
  if (!row) throw notFound(`no incident has id "${id}"`);
  return row;
}

/** A page of the timeline: the detail's embedded start and every page of the timeline route, so one cursor serves both. */
async function timelinePage(deps: HttpDeps, incidentId: string, limit: number, cursor: string | undefined) {
  const after = decodeCursor(cursor, timelineCursorKey);
  const rows = await listIncidentUpdates(deps.db.kysely, incidentId, { after: after && { at: after[0], id: after[1] }, limit: limit + 1 });
  const page = toPage(rows, limit, (u) => [u.at, u.id]);
  // A stored update is the plan it was written from (its kind, severity and cause as text/JSON).
  return { ...page, data: page.data.map((u) => updateView(u.id, u as IncidentUpdatePlan)) };
}

export const incidentRoutes: ApiRoute[] = [
  defineApiRoute({
    method: 'GET',
    path: '/v1/incidents',
    operationId: 'listIncidents',
    summary: 'Incidents, newest first',
    description: 'Filter by status, provider slug, model slug (any model the incident ever affected) and `since` (incidents still open at, or started after, that instant).',
    tag: 'incidents',
    auth: 'read',
    query: z.strictObject({
      status: z.enum(['open', 'resolved']).optional().meta({ example: exampleIncident.status }),
      provider: slug.optional().meta({ example: exampleIncident.provider }),
      model: slug.optional().meta({ example: exampleIncident.affected_models[0] }),
      since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-11-26T00:00:00Z' }).optional().meta({ example: '2026-11-26T00:00:00Z' }),
      ...pageQuery(cursorKey, [Date.parse(exampleIncident.started_at), exampleIncident.id]),
    }),
    response: listSchema(incidentSchema),
    example: { data: [exampleIncident], has_more: false, next_cursor: null },
    async handler({ query, deps }) {
      const before = decodeCursor(query.cursor, cursorKey);
      const rows = await listIncidents(deps.db.kysely, {
        ...(query.status ? { status: query.status } : {}),
        ...(query.provider ? { provider: query.provider } : {}),
        ...(query.model ? { model: query.model } : {}),
        ...(query.since ? { since: Date.parse(query.since) } : {}),
        ...(before ? { before: { startedAt: before[0], id: before[1] } } : {}),
        limit: query.limit + 1,
      });
      const page = toPage(rows, query.limit, (row) => [row.startedAt, row.id]);
      return { ...page, data: page.data.map(toView) };
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/incidents/:id',
    operationId: 'getIncident',
    summary: 'One incident with the start of its timeline',
    description: `\`timeline\` lists the incident's changes, oldest first, each with the cause that made it: the first ${MAX_PAGE} of them, the same first page \`GET /v1/incidents/{id}/timeline?limit=${MAX_PAGE}\` answers. A long, flapping incident has more: then \`timeline_has_more\` is true and \`timeline_next_cursor\`, passed as \`cursor\` to \`GET /v1/incidents/{id}/timeline\`, reads on from the last entry shown here.`,
    tag: 'incidents',
    auth: 'read',
    params: incidentParams,
    response: incidentSchema.extend({
      timeline: z.array(updateSchema).max(MAX_PAGE).describe(`The first ${MAX_PAGE} changes, oldest first.`),
      timeline_has_more: z.boolean().describe('The timeline goes on past the entries shown.'),
      timeline_next_cursor: z.string().nullable().describe('`cursor` for GET /v1/incidents/{id}/timeline to read the entries after these; null when `timeline` is complete.'),
    }),
    errors: ['not_found'],
    example: { ...exampleIncident, timeline: [exampleUpdate], timeline_has_more: false, timeline_next_cursor: null },
    async handler({ params, deps }) {
      const row = await getIncident(deps, params.id);
      const timeline = await timelinePage(deps, row.id, MAX_PAGE, undefined);
      return { ...toView(row), timeline: timeline.data, timeline_has_more: timeline.has_more, timeline_next_cursor: timeline.next_cursor };
    },
  }),
  defineApiRoute({
    method: 'GET',
    path: '/v1/incidents/:id/timeline',
    operationId: 'listIncidentTimeline',
    summary: "An incident's timeline, oldest first, page by page",
    description: `Every change of the incident, each with the cause that made it, ordered by \`at\` and then by \`id\` (entries of the same instant keep the order they were written in). The cursor is the last entry's place in that order, so a page never skips or repeats an entry, and an entry written while a client pages, being later, comes on a later page. \`GET /v1/incidents/{id}\` embeds the first ${MAX_PAGE}; its \`timeline_next_cursor\` is a \`cursor\` for this route.`,
    tag: 'incidents',
    auth: 'read',
    params: incidentParams,
    query: z.strictObject(pageQuery(timelineCursorKey, [Date.parse(exampleUpdate.at), exampleUpdate.id])),
    response: listSchema(updateSchema),
    errors: ['not_found'],
    example: { data: [exampleUpdate], has_more: true, next_cursor: encodeCursor([Date.parse(exampleUpdate.at), exampleUpdate.id]) },
    async handler({ params, query, deps }) {
      const row = await getIncident(deps, params.id);
      return timelinePage(deps, row.id, query.limit, query.cursor);
    },
  }),
];
