import { assertBodySize, type H3, type H3Event } from 'h3';
import { z } from 'zod';
import { AppError, type ErrorCode } from '../lib/errors.ts';
import { apiJsonResponse } from './api-response.ts';
import type { HttpDeps } from './deps.ts';

/**
 * One description per API route: the h3 handler and the OpenAPI document are both built from
 * it, so they cannot drift apart. Query strings are validated strictly (an unknown parameter is
 * a 400, not silently ignored) and path parameters through the same schemas. A parameter's example
 * is its field's `.meta({ example })`, a value as sent on the wire (`"true"`, not `true`).
 */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type RouteAuth = 'none' | 'read' | 'admin';

export interface RouteContext<P, Q, B> {
  event: H3Event;
  params: P;
  query: Q;
  body: B;
  deps: HttpDeps;
}

export interface ApiRoute<P = any, Q = any, B = any, R = any> {
  method: HttpMethod;
  /** h3 path syntax: `/v1/providers/:slug`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Success status (200 unless said). */
  status?: number;
  response: z.ZodType<R>;
  /** Error codes this route can answer with besides the ones every route has. */
  errors?: ErrorCode[];
  example?: R;
  /** An example request body for the OpenAPI document (routes with a body). */
  requestExample?: B;
  handler(ctx: RouteContext<P, Q, B>): R | Promise<R>;
}

export function defineApiRoute<P, Q, B, R>(route: ApiRoute<P, Q, B, R>): ApiRoute<P, Q, B, R> {
  return route;
}

function describeIssues(where: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown ${where} parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      const name = issue.path.join('.');
      return name ? `${where} parameter "${name}": ${issue.message}` : `${where}: ${issue.message}`;
    })
    .join('; ');
}

export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new AppError('invalid_request', describeIssues(where, result.error));
  return result.data;
}

/** `{id}` of a resource; the example is the id of the route's example response, so the two agree. */
export function idParams(example: string) {
  return z.strictObject({ id: z.string().min(1).meta({ example }) });
}

/** Routes without query parameters still reject unknown ones; built once, not per request. */
const NO_QUERY = z.strictObject({});

/** A hook the API-access layer fills in: authenticate, check scope, count usage. */
export type RouteGuard = (event: H3Event, route: ApiRoute) => void | Promise<void>;

export function mountRoutes(app: H3, deps: HttpDeps, routes: readonly ApiRoute[], guard?: RouteGuard): void {
  for (const route of routes) {
    app.on(route.method, route.path, async (event) => {
      if (guard) await guard(event, route);
      // h3 has already split the URL: only a query string needs parsing, and an absent one
      // against a route without parameters needs no schema at all.
      const search = event.url.search;
      const rawQuery: Record<string, string> = {};
      if (search !== '') for (const [key, value] of new URLSearchParams(search)) rawQuery[key] = value;
      const params = route.params ? parseOrThrow(route.params, event.context.params ?? {}, 'path') : {};
      const query = route.query ? parseOrThrow(route.query, rawQuery, 'query') : search === '' ? {} : parseOrThrow(NO_QUERY, rawQuery, 'query');
      const body = route.body ? parseOrThrow(route.body, await readJson(event, deps.config().server.max_body_bytes), 'body') : undefined;
      return apiJsonResponse(event, await route.handler({ event, params, query, body, deps }), route.status);
    });
  }
}

async function readJson(event: H3Event, maxBytes: number): Promise<unknown> {
  // Counted as the body streams in (a lying Content-Length is caught too): 413 payload_too_large.
  assertBodySize(event, maxBytes);
  const text = await event.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('invalid_request', `the request body is not valid JSON (${(error as Error).message})`);
  }
}
