import { z } from 'zod';
import { buildOpenApiDocument } from '../openapi.ts';
import { defineApiRoute, type ApiRoute } from '../route.ts';

/**
 * `GET /v1/openapi.json`, the one route without a key. It describes every route given plus
 * itself; the document is built on first request and kept, since routes do not change at run time.
 */
export function openApiRoute(routes: readonly ApiRoute[], version: string): ApiRoute {
  let document: Record<string, unknown> | undefined;
  const self: ApiRoute = defineApiRoute({
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This API described as OpenAPI 3.1',
    tag: 'meta',
    auth: 'none',
    response: z.record(z.string(), z.unknown()),
    example: { openapi: '3.1.0', info: { title: 'CapPulse API', version }, paths: {} },
    handler() {
      document ??= buildOpenApiDocument([...routes, self], version);
      return document;
    },
  });
  return self;
}
