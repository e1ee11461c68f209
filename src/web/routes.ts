import type { H3, H3Event } from 'h3';
import { requestIdOf } from '../http/context.ts';
import type { HttpDeps } from '../http/deps.ts';
import { AppError, isAppError } from '../lib/errors.ts';
import { DASHBOARD_ASSETS, readAsset } from './assets.ts';
import { html } from './html.ts';
import { emptyState, layout, type Page } from './layout.ts';
import { createMemo } from './memo.ts';
import type { PageContext } from './page-context.ts';
import { incidentPage } from './pages/incident.ts';
import { incidentsPage } from './pages/incidents.ts';
import { livePage } from './pages/live.ts';
import { modelPage } from './pages/model.ts';
import { providerPage } from './pages/provider.ts';
import { reportsPage } from './pages/reports.ts';

/**
 * Pages are same-origin only: scripts and styles come from /assets, chart data is inert JSON,
 * so a name that slipped past escaping still could not run.
 */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'same-origin',
};

type Render = (ctx: PageContext, event: H3Event) => Promise<Page>;

function param(event: H3Event, name: string): string {
  return (event.context.params as Record<string, string> | undefined)?.[name] ?? '';
}

/**
 * The dashboard: server-rendered pages on the API's port, outside /v1 and without API keys
 * (the server binds to 127.0.0.1 by default). A page error is an HTML page, not the API's JSON.
 */
export function registerDashboardRoutes(app: H3, deps: HttpDeps): void {
  const log = deps.logger.child('web');
  const memo = createMemo();

  const respond = (page: Page, now: number, requestId: string) =>
    new Response(layout(page, { version: deps.version, now }), { status: page.status ?? 200, headers: { ...PAGE_HEADERS, 'x-request-id': requestId } });

  const route = (path: string, render: Render) => {
    app.get(path, async (event) => {
      const now = deps.clock.now();
      const requestId = requestIdOf(event);
      const ctx: PageContext = { db: deps.db.kysely, config: deps.config(), now, query: new URL(event.req.url).searchParams, memo, windows: deps.windows };
      try {
        return respond(await render(ctx, event), now, requestId);
      } catch (error) {
        if (isAppError(error) && error.code === 'not_found') {
          return respond({ title: 'Not found', status: 404, body: html`<h1>Not found</h1>${emptyState(error.message, html`<a href="/">Back to the live view</a>`)}` }, now, requestId);
        }
        log.error('page_failed', { request_id: requestId, path, error: error instanceof Error ? error.message : String(error) });
        return respond({ title: 'Error', status: 500, body: html`<h1>Something went wrong</h1>${emptyState('This page could not be rendered.', `The server log has details under request id ${requestId}.`)}` }, now, requestId);
      }
    });
  };

  route('/', (ctx) => livePage(ctx));
  route('/providers/:slug', (ctx, event) => providerPage(ctx, param(event, 'slug')));
  route('/models/:slug', (ctx, event) => modelPage(ctx, param(event, 'slug')));
  route('/incidents', (ctx) => incidentsPage(ctx));
  route('/incidents/:id', (ctx, event) => incidentPage(ctx, param(event, 'id')));
  route('/reports', (ctx) => reportsPage(ctx));

  // Assets are read once, on first request: from disk in a checkout, from the SEA blob in the executable.
  const cache = new Map<string, Buffer>();
  app.get('/assets/:name', (event) => {
    const name = param(event, 'name');
    const asset = DASHBOARD_ASSETS.find((a) => a.name === name);
    if (!asset) throw new AppError('not_found', `no asset named "${name}"`);
    let bytes = cache.get(name);
    if (!bytes) {
      bytes = readAsset(asset);
      cache.set(name, bytes);
    }
    return new Response(new Uint8Array(bytes), {
      headers: { 'content-type': asset.contentType, 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff', 'x-request-id': requestIdOf(event) },
    });
  });
}
