import http from 'node:http';
import type { H3, HTTPMethod } from 'h3';
import { AppError } from '../lib/errors.ts';
import type { ApiRoute } from './route.ts';

/**
 * A known path asked with the wrong method answers 405 with `Allow` (RFC 9110), not 404: the
 * path exists, and the client should learn which methods do. Each other method gets its own
 * route rather than one catch-all, because h3 answers HEAD with the GET route only when no route
 * at all matches HEAD. Every method Node's parser lets through is covered (PROPFIND, PURGE, …),
 * except CONNECT, which Node hands to a 'connect' listener, never to the request handler.
 */
const METHODS = http.METHODS.filter((method) => method !== 'CONNECT');

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
    for (const method of METHODS.filter((m) => !set.has(m))) {
      // h3 routes any method name; its types list only the common ones.
      app.on(method as HTTPMethod, path, () => {
        throw new AppError('method_not_allowed', `${method} is not allowed on ${path}; allowed: ${allow}`, { details: { headers: { allow } } });
      });
    }
  }
}
