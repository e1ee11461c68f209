import { listIncidents, type IncidentRow } from '../../store/incidents.ts';
import { formatAgo, formatSpan, formatTime, statusBadge } from '../format.ts';
import { html, type Html } from '../html.ts';
import { choices, emptyState, type Page } from '../layout.ts';
import { incidentHref, modelHref, pick, providerHref, type PageContext } from '../page-context.ts';

const FILTERS = ['all', 'open', 'resolved'] as const;
const PAGE_SIZE = 50;

/** `before` is the keyset of the last row shown: `<started_at>.<id>`. */
function parseBefore(value: string | null): { startedAt: number; id: string } | undefined {
  const match = value === null ? null : /^(\d+)\.(inc_[\w-]+)$/.exec(value);
  return match ? { startedAt: Number(match[1]), id: match[2]! } : undefined;
}

export function modelLinks(models: readonly string[]): Html {
  if (models.length === 0) return html`<span class="since">all models</span>`;
  return html`${models.map((m, i) => html`${i > 0 ? ', ' : ''}<a href="${modelHref(m)}">${m}</a>`)}`;
}

export function incidentDuration(incident: IncidentRow, now: number): string {
  return formatSpan((incident.resolvedAt ?? now) - incident.startedAt);
}

export function incidentTable(rows: readonly IncidentRow[], now: number): Html {
  return html`<table>
<thead><tr><th>State</th><th>Severity</th><th>Incident</th><th>Provider</th><th>Models</th><th>Started</th><th class="num">Duration</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr>
<td>${statusBadge(r.status)}</td>
<td>${statusBadge(r.severity)}</td>
<td><a href="${incidentHref(r.id)}">${r.title}</a></td>
<td><a href="${providerHref(r.providerSlug)}">${r.providerName}</a></td>
<td>${modelLinks(r.affectedModels)}</td>
<td>${formatTime(r.startedAt)}<span class="since">${formatAgo(r.startedAt, now)}</span></td>
<td class="num">${incidentDuration(r, now)}${r.resolvedAt === null ? html` <span class="since">ongoing</span>` : ''}</td>
</tr>`,
  )}</tbody>
</table>`;
}

export async function incidentsPage(ctx: PageContext): Promise<Page> {
  const filter = pick(ctx.query, 'status', FILTERS, 'all');
  const before = parseBefore(ctx.query.get('before'));
  const rows = await listIncidents(ctx.db, {
    ...(filter === 'all' ? {} : { status: filter }),
    ...(before ? { before } : {}),
    limit: PAGE_SIZE + 1,
  });
  const shown = rows.slice(0, PAGE_SIZE);
  const last = shown.at(-1);
  const more = rows.length > PAGE_SIZE && last !== undefined;
  const body = html`<div class="toolbar"><h1>Incidents</h1>${choices('/incidents', 'status', FILTERS, filter)}</div>
<p class="sub">Opened when a provider or model leaves operational; every change on the timeline carries its measured cause.</p>
${shown.length === 0
    ? emptyState(before ? 'No older incidents' : 'No incidents', filter === 'open' ? 'Nothing is open right now.' : 'CapPulse has not recorded an incident yet. Incidents open when a status rule trips.')
    : incidentTable(shown, ctx.now)}
${more ? html`<p><a href="/incidents?status=${filter}&amp;before=${last.startedAt}.${last.id}">Older incidents &rarr;</a></p>` : ''}`;
  return { title: 'Incidents', section: 'incidents', body };
}
