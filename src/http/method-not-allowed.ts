import { AppError } from '../lib/errors.ts';
import type { ApiRoute } from './route.ts';

/**
 * A known path asked with a method it has no route for answers 405 with `Allow` (RFC 9110), not
 * 404: the path exists, and the client should learn which methods do. h3 answers such a request
 * 404 (no route matched); the app's error hook asks this lookup whether the path is a known one
 * and turns that 404 into the 405. One pattern per path, tried only for a 404: every method Node
 * accepts (PROPFIND, PURGE, …) is covered without a route per path and method (registering those
 * cost 6–14 ms of start-up), and HEAD still falls back to GET, which h3 does only when no route
 * matches HEAD.
 */
export function createMethodNotAllowed(routes: readonly ApiRoute[]): (method: string, pathname: string) => AppError | undefined {
  const byPath = new Map<string, Set<string>>();
  for (const route of routes) {
    const set = byPath.get(route.path) ?? new Set<string>();
    set.add(route.method);
    if (route.method === 'GET') set.add('HEAD');
    byPath.set(route.path, set);
  }
  // A `:name` segment matches one path segment, as in h3's router.
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const known = [...byPath].map(([path, set]) => ({
    path,
    set,
    allow: [...set].join(', '),
    pattern: new RegExp(`^${path.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : escape(part))).join('/')}$`),
  }));
  return (method, pathname) => {
    const match = known.find((k) => k.pattern.test(pathname));
    if (match === undefined || match.set.has(method)) return undefined;
    return new AppError('method_not_allowed', `${method} is not allowed on ${match.path}; allowed: ${match.allow}`, { details: { headers: { allow: match.allow } } });
  };
}
