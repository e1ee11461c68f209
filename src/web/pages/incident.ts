import { MAX_PAGE } from '../../http/pagination.ts';
import { AppError } from '../../lib/errors.ts';
import { describeCause } from '../../status/describe.ts';
import type { Cause } from '../../status/types.ts';
import { countIncidentUpdatesAfter, findIncident, listIncidentUpdates, type IncidentUpdateRecord, type TimelinePosition } from '../../store/incidents.ts';
import { formatCount, formatTime, statusBadge } from '../format.ts';
import { html, type Html } from '../html.ts';
import type { Page } from '../layout.ts';
import { incidentHref, providerHref, type PageContext } from '../page-context.ts';
import { incidentDuration, modelLinks } from './incidents.ts';

const KIND_LABELS: Record<string, string> = {
  opened: 'Opened',
  reopened: 'Reopened',
  severity_changed: 'Severity changed',
  models_changed: 'Affected models changed',
  resolved: 'Resolved',
};

/** A page of the timeline, as many as the API embeds: a flapping incident's thousands of updates would make a page nobody can read. */
const TIMELINE_PAGE = MAX_PAGE;

/** `after` is the (at, id) of the last update a previous page showed: `<at>.<id>`. */
function parseAfter(value: string | null): TimelinePosition | undefined {
  const match = value === null ? null : /^(\d+)\.(\d+)$/.exec(value);
  return match ? { at: Number(match[1]), id: Number(match[2]) } : undefined;
}

type StoredCause = Partial<Cause> & { model?: string };

function isCause(value: unknown): value is StoredCause & Cause {
  return typeof value === 'object' && value !== null && typeof (value as { rule?: unknown }).rule === 'string';
}

/** The cause as stored, field by field, so a reader can check the sentence against the numbers. */
function causeDetail(cause: unknown): Html {
  if (!isCause(cause)) return html``;
  const fields: [string, unknown][] = [
    ['model', cause.model],
    ['rule', cause.rule],
    ['value', cause.value],
    ['threshold', cause.threshold],
    ['window', cause.window],
    ['samples', cause.samples],
  ];
  const text = fields.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 10000) / 10000 : String(v)}`);
  return html`<div class="cause">${text.join(' · ')}</div>`;
}

function timelineItem(update: IncidentUpdateRecord): Html {
  return html`<li>
<div><strong>${KIND_LABELS[update.kind] ?? update.kind}</strong> &middot; ${formatTime(update.at)} &middot; ${statusBadge(update.severity)}</div>
<div>${update.message}</div>
${causeDetail(update.cause)}
</li>`;
}

export async function incidentPage(ctx: PageContext, id: string): Promise<Page> {
  const incident = await findIncident(ctx.db, id);
  if (!incident) throw new AppError('not_found', `no incident with id "${id}"`);
  const after = parseAfter(ctx.query.get('after'));
  const rows = await listIncidentUpdates(ctx.db, id, { after, limit: TIMELINE_PAGE + 1 });
  const updates = rows.slice(0, TIMELINE_PAGE);
  const last = updates.at(-1);
  const more = rows.length > TIMELINE_PAGE && last !== undefined ? await countIncidentUpdatesAfter(ctx.db, id, last) : 0;
  const body = html`<h1>${incident.title} ${statusBadge(incident.status)} ${statusBadge(incident.severity)}</h1>
<p class="sub">${incident.id} &middot; <a href="${providerHref(incident.providerSlug)}">${incident.providerName}</a> &middot; ${incident.scope === 'model' ? 'model-scoped' : 'provider-wide'}</p>
<div class="metrics">
<div class="metric"><div class="k">Started</div><div class="v time">${formatTime(incident.startedAt)}</div></div>
<div class="metric"><div class="k">${incident.resolvedAt === null ? 'Ongoing for' : 'Lasted'}</div><div class="v">${incidentDuration(incident, ctx.now)}</div></div>
<div class="metric"><div class="k">Resolved</div><div class="v time">${incident.resolvedAt === null ? 'not yet' : formatTime(incident.resolvedAt)}</div></div>
</div>
<p><strong>Affected models:</strong> ${modelLinks(incident.affectedModels)}</p>
${isCause(incident.cause) ? html`<p><strong>Cause:</strong> ${describeCause(incident.cause)}</p>` : ''}
<h2>Timeline</h2>
${after ? html`<p class="sub">Updates after ${formatTime(after.at)}. <a href="${incidentHref(id)}">&larr; From the start</a></p>` : ''}
${updates.length === 0 ? html`<p class="sub">${after ? 'No later updates.' : 'No updates recorded.'}</p>` : html`<ol class="timeline">${updates.map(timelineItem)}</ol>`}
${more > 0 && last ? html`<p class="sub">${formatCount(more)} later ${more === 1 ? 'update' : 'updates'} not shown. <a href="${incidentHref(id)}?after=${last.at}.${last.id}">Later updates &rarr;</a></p>` : ''}`;
  return { title: incident.title, section: 'incidents', body };
}
