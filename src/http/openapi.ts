import { z } from 'zod';
import type { ErrorCode } from '../lib/errors.ts';
import { STATUS_BY_CODE } from './errors.ts';
import type { ApiRoute } from './route.ts';

/**
 * The OpenAPI 3.1 document, generated from the same route specs (zod schemas) that validate
 * requests, so the document and the code cannot drift. OpenAPI 3.1 schemas are JSON Schema
 * 2020-12, which is what z.toJSONSchema emits.
 */
type Json = Record<string, unknown>;

const ERROR_EXAMPLES: Record<ErrorCode, string> = {
  invalid_request: 'unknown query parameter "foo"',
  unauthorized: 'missing Authorization header (send "Authorization: Bearer cp_live_…")',
  forbidden: 'this API key lacks the "admin" scope needed for POST /v1/keys',
  not_found: 'no such resource',
  method_not_allowed: 'PUT is not allowed here; allowed: GET, HEAD',
  conflict: 'the resource changed; reload it and retry',
  payload_too_large: 'Request body size exceeds the limit of 65536 bytes',
  rate_limit_exceeded: 'rate limit of 120 requests per minute exceeded; retry in 1 s',
  quota_exceeded: 'monthly quota of 100000 requests used up; it resets at 2026-12-01T00:00:00.000Z',
  invalid_config: 'invalid configuration',
  database_too_new: 'the database was written by a newer CapPulse',
  internal_error: 'an unexpected error occurred; the server log has details under this request id',
};

const RATE_HEADER_NAMES = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'RateLimit-Policy', 'RateLimit'];

/**
 * Rate-limit headers go with every answer of a route, per key or, without a valid key (a 401, the
 * OpenAPI document), per client address. Only 400 and 500 may lack them: they can come before the
 * guard has decided (a malformed URL, a database failure while looking the key up).
 */
function rateHeaders(required: boolean): Json {
  const components = COMPONENTS.headers as Record<string, Json>;
  return Object.fromEntries(RATE_HEADER_NAMES.map((name) => [name, required ? { $ref: `#/components/headers/${name}` } : { ...components[name], required: false }]));
}

const COMPONENTS: Json = {
  securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'cp_live_…', description: 'An API key from `cappulse keys create` or `POST /v1/keys`.' } },
  schemas: {
    Error: {
      type: 'object',
      required: ['error', 'message', 'request_id'],
      additionalProperties: false,
      properties: {
        error: { type: 'string', description: 'Machine-readable code; match on this, never on the message.' },
        message: { type: 'string', description: 'What went wrong, for a person.' },
        request_id: { type: 'string', pattern: '^req_', description: 'Also in the X-Request-Id header; quote it when reporting a problem.' },
      },
    },
  },
  headers: {
    'X-Request-Id': { description: 'Identifies this request in the server log.', required: true, schema: { type: 'string' } },
    'X-RateLimit-Limit': { description: 'Requests per minute allowed for this key, or for this client address when no valid key was sent (the monthly quota on a quota_exceeded answer).', required: true, schema: { type: 'string', pattern: '^\\d+$' } },
    'X-RateLimit-Remaining': { description: 'Requests that can still be made at once.', required: true, schema: { type: 'string', pattern: '^\\d+$' } },
    'X-RateLimit-Reset': { description: 'Unix time (seconds) when the limit is fully available again.', required: true, schema: { type: 'string', pattern: '^\\d+$' } },
    'RateLimit-Policy': { description: 'IETF draft header: the "minute" and "month" policies (q = quota, w = window in seconds); only "minute" when no valid key was sent.', required: true, schema: { type: 'string' } },
    RateLimit: { description: 'IETF draft header: per policy, r = remaining, t = seconds until reset.', required: true, schema: { type: 'string' } },
    'Retry-After': { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'string', pattern: '^\\d+$' } },
  },
};

/** JSON Schema of a zod schema as it appears in the document (no top-level $schema). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
}

/** h3's `/v1/providers/:slug` is OpenAPI's `/v1/providers/{slug}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

/** Every error code a route can answer with: the ones every route has, then its own. */
export function routeErrorCodes(route: ApiRoute): ErrorCode[] {
  const codes: ErrorCode[] = ['invalid_request', 'internal_error'];
  codes.push('rate_limit_exceeded');
  if (route.auth !== 'none') codes.push('unauthorized', 'quota_exceeded');
  if (route.auth === 'admin' || route.method !== 'GET') codes.push('forbidden');
  if (route.body) codes.push('payload_too_large');
  for (const code of route.errors ?? []) if (!codes.includes(code)) codes.push(code);
  return codes;
}

function parameters(route: ApiRoute): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const json = jsonSchemaOf(schema, 'input');
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, property] of Object.entries((json.properties as Record<string, Json> | undefined) ?? {})) {
      // The example goes on the parameter, which Swagger UI and Redoc show and fill in; OpenAPI 3.1
      // deprecates `example` inside a schema.
      const { description, example, ...rest } = property;
      out.push({ name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest, ...(example !== undefined ? { example } : {}) });
    }
  }
  return out;
}

function errorResponses(route: ApiRoute): Json {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of routeErrorCodes(route)) {
    const status = STATUS_BY_CODE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Json = {};
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: codes.join(' or '),
      headers: {
        'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
        ...rateHeaders(status !== 400 && status !== 500),
        ...(status === 429 ? { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } : {}),
      },
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { error: { enum: codes } } }] },
          examples: Object.fromEntries(codes.map((code) => [code, { value: { error: code, message: ERROR_EXAMPLES[code], request_id: 'req_3kTq9ZxY2mN8pL4w' } }])),
        },
      },
    };
  }
  return out;
}

function operation(route: ApiRoute): Json {
  const success: Json = {
    description: route.summary,
    headers: { 'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' }, ...rateHeaders(true) },
    content: { 'application/json': { schema: jsonSchemaOf(route.response, 'output'), ...(route.example !== undefined ? { example: route.example } : {}) } },
  };
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.auth === 'none' ? [] : [{ bearerAuth: [] }],
    ...(route.auth !== 'none' ? { 'x-required-scope': route.auth === 'admin' || route.method !== 'GET' ? 'admin' : 'read' } : {}),
    parameters: parameters(route),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(route.body, 'input'), ...(route.requestExample !== undefined ? { example: route.requestExample } : {}) } } } }
      : {}),
    responses: { [String(route.status ?? 200)]: success, ...errorResponses(route) },
  };
}

export function buildOpenApiDocument(routes: readonly ApiRoute[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  const tags = [...new Set(routes.map((r) => r.tag))].sort().map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: 'CapPulse API',
      version,
      description:
        'Provider health, latency and rate-limit metrics, incidents and webhooks. Every route except this document needs `Authorization: Bearer cp_live_…`; every response carries rate-limit headers: per key, or per client address when no valid key was sent (the OpenAPI document, a 401), and once that is spent a 401 becomes a 429. A path that is not described here answers 404 `not_found`, and a described path asked with another method 405 `method_not_allowed` with `Allow`; both are limited and counted the same way (per key when a valid one is sent), so either can be a 429 instead. A request that is not readable HTTP/1.1 (an unknown method, a request line and headers over 16 KiB, no `Host` header) is refused before any route or limit: 400 or 431 `invalid_request`, without rate-limit headers. Errors are always `{"error","message","request_id"}`. Lists are `{"data","has_more","next_cursor"}`: pass `next_cursor` back as `cursor`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags,
    paths,
    components: COMPONENTS,
  };
}
