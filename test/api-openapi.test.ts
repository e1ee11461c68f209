import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_ROUTES } from '../src/http/app.ts';
import { openApiPath, routeErrorCodes } from '../src/http/openapi.ts';
import { STATUS_BY_CODE } from '../src/http/errors.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { jsonSchemaAjv, loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

let t: TestApp;
let api: OpenApiChecker;
let keys: TestKeys;

before(async () => {
  t = await startTestApp();
  api = await loadOpenApi(t.url); // fails here if the external validator rejects the document
  keys = await createTestKeys(t);
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

interface Parameter {
  name: string;
  in: 'path' | 'query';
  schema: Record<string, unknown>;
  example?: unknown;
}

function* operations(doc: Record<string, any>): Generator<{ name: string; pointer: string[]; op: Record<string, any> }> {
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, op] of Object.entries(item)) yield { name: `${method.toUpperCase()} ${path}`, pointer: ['paths', path, method], op };
  }
}

test('every path and query parameter has an example, and its own schema accepts it', () => {
  const ajv = jsonSchemaAjv();
  let count = 0;
  for (const { name, op } of operations(api.document)) {
    for (const p of op.parameters as Parameter[]) {
      const where = `${name}: ${p.in} parameter "${p.name}"`;
      assert.ok(p.example !== undefined, `${where} has no example (give its zod field .meta({ example }))`);
      assert.ok(ajv.validate(p.schema, p.example), `${where}: example ${JSON.stringify(p.example)} fails its schema: ${ajv.errorsText()}`);
      count++;
    }
  }
  assert.ok(count > 0);
  assert.equal(ajv.validate({ type: 'string', format: 'slug' }, 'Not A Slug'), false, 'the slug format is checked, not skipped');
});

/**
 * A request of `route` built from the document's examples: its path and query parameters, and
 * the request example as the body, so that an answer can only be about what a test changes.
 */
function exampleRequest(route: (typeof API_ROUTES)[number], extraQuery: Record<string, string> = {}) {
  const op = api.document.paths[openApiPath(route.path)][route.method.toLowerCase()];
  const parameters = op.parameters as Parameter[];
  let path = openApiPath(route.path);
  const query = new URLSearchParams();
  for (const p of parameters) {
    if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
    else query.set(p.name, String(p.example));
  }
  for (const [name, value] of Object.entries(extraQuery)) query.set(name, value);
  const body = route.body ? JSON.stringify(route.requestExample) : undefined;
  return { parameters, url: query.size > 0 ? `${path}?${query}` : path, init: { method: route.method, ...(body ? { body } : {}) } };
}

test('the server accepts every operation’s example parameters (a 404 only from looking the example id up)', async () => {
  for (const route of API_ROUTES) {
    const { parameters, url, init } = exampleRequest(route);
    if (parameters.length === 0) continue;
    const res = await api.fetch(url, { ...init, headers: keys.auth('admin') });
    const said = `${route.method} ${url} → ${res.status} ${res.text.slice(0, 300)}`;
    if (res.status === 404) {
      // Naming the id proves the handler looked it up, so the route matched and the parameters parsed.
      const ids = parameters.filter((p) => p.in === 'path').map((p) => String(p.example));
      assert.ok(ids.some((id) => res.body.message.includes(id)), `${route.operationId}: a 404 that is not about its example id: ${said}`);
    } else {
      assert.ok(res.status >= 200 && res.status < 300, `${route.operationId}: its example parameters were not accepted: ${said}`);
    }
  }
});

test('every route but the document itself answers 401 without a key, before looking at anything else', async () => {
  for (const route of API_ROUTES) {
    assert.notEqual(route.auth, 'none', `${route.operationId} needs no key: only GET /v1/openapi.json may`);
    const { url, init } = exampleRequest(route);
    const res = await api.fetch(url, { ...init, headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 401, `${route.method} ${url} without a key → ${res.status} ${res.text.slice(0, 200)}`);
    assert.equal(res.body.error, 'unauthorized');
  }
});

test('every route refuses a query parameter it does not know, naming it', async () => {
  for (const route of API_ROUTES) {
    const { url, init } = exampleRequest(route, { colour: 'blue' });
    const res = await api.fetch(url, { ...init, headers: keys.auth('admin') });
    assert.equal(res.status, 400, `${route.method} ${url} → ${res.status} ${res.text.slice(0, 200)}`);
    assert.equal(res.body.error, 'invalid_request');
    assert.match(res.body.message, /colour/, `${route.operationId}: the message names the parameter`);
  }
});

/** A JSON pointer as a URI fragment: `~` and `/` escaped (RFC 6901), then percent-encoded (`{id}`). */
function fragment(pointer: string[]): string {
  return pointer.map((part) => `/${encodeURIComponent(part.replaceAll('~', '~0').replaceAll('/', '~1'))}`).join('');
}

/** Every response and request body of an operation, with where it stands in the document. */
function* bodiesOf(op: Record<string, any>, pointer: string[]): Generator<{ what: string; at: string[]; media: Record<string, any> }> {
  for (const [status, response] of Object.entries<Record<string, any>>(op.responses)) {
    for (const [type, media] of Object.entries<Record<string, any>>(response.content ?? {})) yield { what: `${status} ${type}`, at: [...pointer, 'responses', status, 'content', type], media };
  }
  for (const [type, media] of Object.entries<Record<string, any>>(op.requestBody?.content ?? {})) yield { what: `request ${type}`, at: [...pointer, 'requestBody', 'content', type], media };
}

function examplesOf(media: Record<string, any>): Array<[string, unknown]> {
  const named = Object.entries<{ value: unknown }>(media.examples ?? {}).map(([key, e]): [string, unknown] => [key, e.value]);
  return media.example === undefined ? named : [['example', media.example], ...named];
}

test('every request and response example, errors included, matches its schema in the document', () => {
  const ajv = jsonSchemaAjv();
  // Added whole, so that schemas' `#/components/...` references resolve against the document.
  ajv.addSchema(api.document, 'openapi.json');
  const validatorOf = (pointer: string[]) => ajv.compile({ $ref: `openapi.json#${fragment(pointer)}` });
  let count = 0;
  for (const { name, pointer, op } of operations(api.document)) {
    for (const { what, at, media } of bodiesOf(op, pointer)) {
      const examples = examplesOf(media);
      assert.ok(examples.length > 0, `${name} ${what} has no example`);
      const validate = validatorOf([...at, 'schema']);
      for (const [key, value] of examples) {
        assert.ok(validate(value), `${name} ${what} example ${key} fails its schema: ${ajv.errorsText(validate.errors)}`);
        count++;
      }
    }
  }
  assert.ok(count > 0);
  // Not a rubber stamp: a 404's schema refuses another status's code and a body without a message.
  const notFound = validatorOf(['paths', '/v1/keys/{id}', 'get', 'responses', '404', 'content', 'application/json', 'schema']);
  assert.equal(notFound({ error: 'not_found', message: 'x', request_id: 'req_x' }), true);
  assert.equal(notFound({ error: 'forbidden', message: 'x', request_id: 'req_x' }), false);
  assert.equal(notFound({ error: 'not_found', request_id: 'req_x' }), false);
});
