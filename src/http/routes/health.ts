import type { H3 } from 'h3';
import { apiJsonResponse } from '../api-response.ts';
import type { HttpDeps } from '../deps.ts';

/** Liveness and readiness in one: the process answers and the database can be read. */
export function registerHealthRoutes(app: H3, deps: HttpDeps): void {
  app.get('/healthz', (event) => {
    let db: 'ok' | 'error' = 'ok';
    try {
      deps.db.sqlite.prepare('select 1').get();
    } catch {
      db = 'error';
    }
    return apiJsonResponse(event, {
      status: db === 'ok' ? 'ok' : 'degraded',
      version: deps.version,
      uptime_s: Math.round((deps.clock.now() - deps.startedAt) / 1000),
      db,
    });
  });
}
