import { H3, HTTPError, type H3Event } from 'h3';
import { isAppError, type AppError } from '../lib/errors.ts';
import { accessHeadersOf } from './api-response.ts';
import { createApiAccess } from './auth.ts';
import { requestIdOf } from './context.ts';
import type { HttpDeps } from './deps.ts';
import { toErrorResponse } from './errors.ts';
import { createMethodNotAllowed } from './method-not-allowed.ts';
import { mountRoutes, type ApiRoute } from './route.ts';
import { createWindowCache } from '../store/window-cache.ts';
import { keyRoutes } from './routes/keys.ts';
import { openApiRoute } from './routes/openapi.ts';
import { usageRoutes } from './routes/usage.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerPrometheusRoutes } from './routes/prometheus.ts';
import { registerDashboardRoutes } from '../web/routes.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { modelRoutes } from './routes/models.ts';
import { providerRoutes } from './routes/providers.ts';
import { webhookDeliveryRoutes } from './routes/webhook-deliveries.ts';
import { webhookEndpointRoutes } from './routes/webhooks.ts';

/** Plain routes outside the API (health, metrics, dashboard), registered by function. */
const PLAIN_ROUTES = [registerHealthRoutes, registerPrometheusRoutes, registerDashboardRoutes];

/** Every /v1 route, in one list, so the whole API surface (and its OpenAPI document) is visible at once. */
export const API_ROUTES: readonly ApiRoute[] = [...keyRoutes, ...usageRoutes, ...webhookEndpointRoutes, ...webhookDeliveryRoutes, ...incidentRoutes, ...providerRoutes, ...modelRoutes];

export function createHttpApp(deps: HttpDeps): H3 {
  const logger = deps.logger.child('http');
  const app = new H3({
    // h3 would print unhandled errors to the console itself; ours go through the logger.
    silent: true,
    // No onRequest setting x-request-id through h3's headers: every answer writes its own (the API,
    // /metrics and /healthz through api-response.ts, the dashboard's pages and assets, errors in
    // toErrorResponse), and h3's headers would cost every answer a merge (api-response.ts says why).
    async onError(error, event) {
      return toErrorResponse(await limitUnrouted(error, event), event, requestIdOf(event), logger);
    },
  });
  // Every /v1 route passes the access guard (key, scope, rate limit, quota) before its handler.
  const access = deps.access ?? createApiAccess(deps);
  // A /v1 answer the guard never saw (no route: 404; another method: 405) is limited and carries
  // the rate-limit headers too, so every /v1 answer does; a spent budget turns it into the 429.
  const limitUnrouted = async (error: HTTPError, event: H3Event): Promise<HTTPError | AppError> => {
    if (!event.url.pathname.startsWith('/v1/') || accessHeadersOf(event).length > 0) return error;
    // No route matched: a known path asked with another method is a 405, not a 404.
    const unrouted = (error.status === 404 && methodNotAllowed(event.req.method, event.url.pathname)) || error;
    try {
      await access.admitUnrouted(event);
      return unrouted;
    } catch (refused) {
      // The guard refuses with an AppError (the 429); anything else is our failure: a 500.
      return isAppError(refused) ? refused : new HTTPError({ cause: refused });
    }
  };
  const apiRoutes = [...API_ROUTES, openApiRoute(API_ROUTES, deps.version)];
  const methodNotAllowed = createMethodNotAllowed(apiRoutes);
  // One window cache for the API and the dashboard: both read the same scopes' closed time.
  const windows = deps.windows ?? createWindowCache();
  mountRoutes(app, { ...deps, access, windows }, apiRoutes, access.guard);
  for (const register of PLAIN_ROUTES) register(app, { ...deps, access, windows });
  return app;
}
