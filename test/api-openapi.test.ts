import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_ROUTES } from '../src/http/app.ts';
import { openApiPath, routeErrorCodes } from '../src/http/openapi.ts';
import { STATUS_BY_CODE } from '../src/http/errors.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

let t: TestApp;
let api: OpenApiChecker;

before(async () => {
  t = await startTestApp();
  api = await loadOpenApi(t.url); // fails here if the external validator rejects the document
});
after(() => t.stop());

test('the document is OpenAPI 3.1, served without a key, and lists every route with its method', () => {
  const doc = api.document;
  assert.equal(doc.openapi, '3.1.0');
  const ids = new Set<string>();
  for (const route of API_ROUTES) {
    const op = doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
    assert.ok(op, `${route.method} ${route.path} is missing from the document`);
    assert.equal(op.operationId, route.operationId);
    assert.ok(!ids.has(route.operationId), `operationId ${route.operationId} is used twice`);
    ids.add(route.operationId);
    for (const name of route.path.match(/:(\w+)/g) ?? []) {
      assert.ok(op.parameters.some((p: { in: string; name: string }) => p.in === 'path' && p.name === name.slice(1)), `${route.path}: path parameter ${name} undocumented`);
    }
    for (const code of routeErrorCodes(route)) assert.ok(op.responses[String(STATUS_BY_CODE[code])], `${route.operationId}: ${code} undocumented`);
    assert.deepEqual(op.security, route.auth === 'none' ? [] : [{ bearerAuth: [] }]);
  }
  assert.deepEqual(doc.paths['/v1/openapi.json'].get.security, []);
});

test('every route has an example, and each example matches the route’s own schemas', () => {
  for (const route of API_ROUTES) {
    assert.ok(route.example !== undefined, `${route.operationId} has no response example`);
    const parsed = route.response.safeParse(route.example);
    assert.ok(parsed.success, `${route.operationId}: example differs from its response schema: ${parsed.error?.message}`);
    if (route.body) {
      assert.ok(route.requestExample !== undefined, `${route.operationId} has no request example`);
      const body = route.body.safeParse(route.requestExample);
      assert.ok(body.success, `${route.operationId}: request example differs from its body schema: ${body.error?.message}`);
    }
  }
});

test('the validator is not a rubber stamp: it rejects answers that differ from the document', () => {
  const headers = new Headers({ 'x-request-id': 'req_x' });
  assert.notDeepEqual(api.problems('GET', '/v1/usage', { status: 200, headers, text: '{"key":1}' }), [], 'wrong body');
  assert.notDeepEqual(api.problems('GET', '/v1/usage', { status: 418, headers, text: '{}' }), [], 'undocumented status');
  assert.notDeepEqual(api.problems('GET', '/v1/usage', { status: 401, headers, text: '{"error":"nope"}' }), [], 'bad error shape');
  assert.notDeepEqual(api.problems('GET', '/v1/keys', { status: 401, headers, text: JSON.stringify({ error: 'forbidden', message: 'x', request_id: 'req_x' }) }), [], 'wrong code for the status');
  assert.notDeepEqual(api.problems('GET', '/v1/nowhere', { status: 200, headers, text: '{}' }), [], 'undocumented path answering 200');
  const list = JSON.stringify({ data: [], has_more: false, next_cursor: null });
  assert.deepEqual(api.problems('GET', '/v1/keys', { status: 200, headers: new Headers({ 'x-request-id': 'req_x', 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1', 'ratelimit-policy': 'p', ratelimit: 'r' }), text: list }), []);
  assert.match(api.problems('GET', '/v1/keys', { status: 200, headers, text: list }).join(), /required header X-RateLimit-Limit is missing/);
});
