import type { H3 } from 'h3';
import { AppError } from '../lib/errors.ts';
import type { ApiRoute } from './route.ts';

/**
 * A known path asked with the wrong method answers 405 with `Allow` (RFC 9110), not 404: the
 * path exists, and the client should learn which methods do. h3 tries method-specific routes
 * first, so this catch-all on the same path only sees the other methods.
 */
export function mountMethodNotAllowed(app: H3, routes: readonly ApiRoute[]): void {
  const methods = new Map<string, Set<string>>();
  for (const route of routes) {
    const set = methods.get(route.path) ?? new Set<string>();
    set.add(route.method);
    if (route.method === 'GET') set.add('HEAD');
    methods.set(route.path, set);
  }
  for (const [path, set] of methods) {
    const allow = [...set].join(', ');
    app.all(path, (event) => {
      throw new AppError('method_not_allowed', `${event.req.method} is not allowed on ${path}; allowed: ${allow}`, { details: { headers: { allow } } });
    });
  }
}
