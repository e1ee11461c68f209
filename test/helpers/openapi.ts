import assert from 'node:assert/strict';
import { METHODS } from 'node:http';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Options } from 'ajv';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import { SLUG_PATTERN } from '../../src/config/fields.ts';

/**
 * Checks real responses against the OpenAPI document the server itself serves, with external
 * validators: @seriousme/openapi-schema-validator for the document, openapi-backend (with a JSON
 * Schema 2020-12 Ajv, as OpenAPI 3.1 requires) for each response. Use it in any API test:
 *
 *   const api = await loadOpenApi(t.url);
 *   const { status, body } = await api.fetch('/v1/providers', { headers: keys.auth() });
 *
 * `api.fetch` fails the test when the status is not documented for the operation, the body does
 * not match its schema, a documented required header is missing, or an error body lacks the
 * `{error, message, request_id}` shape.
 */
export interface CheckedResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON (undefined for an empty body). */
  body: any;
  text: string;
}

export interface OpenApiChecker {
  document: Record<string, any>;
  /** Fetches `baseUrl + path` and checks the answer; returns it for the test's own assertions. */
  fetch(path: string, init?: RequestInit): Promise<CheckedResponse>;
  /** Checks an answer already received; returns the problems found (empty when it conforms). */
  problems(method: string, path: string, response: { status: number; headers: Headers; text: string }): string[];
  /** How many responses were checked against an operation (tests can assert coverage). */
  checked: Map<string, Set<number>>;
}

/**
 * Ajv for OpenAPI 3.1's dialect, JSON Schema 2020-12, with the standard formats and CapPulse's own
 * `slug` (config/fields.ts), which Ajv would otherwise skip with a warning instead of checking.
 */
export function jsonSchemaAjv(options: Options = {}): Ajv2020.default {
  const ajv = new Ajv2020.default({ ...options, strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addFormat('slug', SLUG_PATTERN);
  return ajv;
}

const RATE_LIMIT_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'ratelimit-policy', 'ratelimit'];

export async function loadOpenApi(baseUrl: string): Promise<OpenApiChecker> {
  const res = await fetch(`${baseUrl}/v1/openapi.json`);
  assert.equal(res.status, 200, 'GET /v1/openapi.json must answer 200 without a key');
  return openApiChecker(baseUrl, (await res.json()) as Record<string, any>);
}

/** loadOpenApi with the document already in hand (check-api-responses.mjs builds it in-process). */
export async function openApiChecker(baseUrl: string, document: Record<string, any>): Promise<OpenApiChecker> {
  const verdict = await new Validator().validate(structuredClone(document));
  assert.ok(verdict.valid, `the served OpenAPI document is invalid: ${JSON.stringify(verdict.errors, null, 2)?.slice(0, 2000)}`);

  const api = new OpenAPIBackend({
    definition: structuredClone(document) as any,
    quick: true,
    strict: true,
    validate: true,
    customizeAjv: (_original, ajvOpts) => jsonSchemaAjv(ajvOpts) as any,
  });
  await api.init();
  const checked = new Map<string, Set<number>>();
  // openapi-backend's matchOperation rebuilds its path patterns on every call (~0.5 ms); a
  // thousands-of-requests fuzz needs them compiled once.
  const patterns = api.router.getOperations().map((operation) => ({
    operation,
    method: operation.method.toUpperCase(),
    pattern: new RegExp(`^${operation.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+')}/?$`),
  }));
  const matchOperation = (method: string, pathname: string) => patterns.find((p) => p.method === method && p.pattern.test(pathname))?.operation;

  const problems: OpenApiChecker['problems'] = (method, path, response) => {
    const out: string[] = [];
    const url = new URL(path, baseUrl);
    let body: any;
    if (response.text !== '') {
      try {
        body = JSON.parse(response.text);
      } catch {
        out.push(`body is not JSON: ${response.text.slice(0, 200)}`);
      }
    }
    // Only the API is described: the dashboard and /healthz answer in their own formats.
    if (!url.pathname.startsWith('/v1/')) return response.status >= 500 ? [`server error ${response.status}`] : [];
    if (response.status >= 400 && method !== 'HEAD') {
      if (!body || typeof body.error !== 'string' || typeof body.message !== 'string' || !/^req_/.test(String(body.request_id))) {
        out.push(`error body lacks {error, message, request_id}: ${response.text.slice(0, 200)}`);
      } else if (body.request_id !== response.headers.get('x-request-id')) {
        out.push('error body request_id differs from the X-Request-Id header');
      }
    }
    if (!response.headers.get('x-request-id')) out.push('no X-Request-Id header');
    if (response.status >= 500) out.push(`server error ${response.status}: ${response.text.slice(0, 200)}`);

    const operation = matchOperation(method === 'HEAD' ? 'GET' : method, url.pathname) as Operation | undefined;
    if (!operation) {
      // Not an operation of the API: only a 404 (unknown path), a 405 (known path, other method),
      // a 429 (either, once the caller's budget is spent: the document's description says so)
      // or a 400 (a path that is not even valid percent-encoding) may answer.
      const allowed = [404, 405, 429, ...(decodable(url.pathname) ? [] : [400])];
      // A method Node's parser does not know is refused before routing: a 400 that no guard has
      // seen, so without rate-limit headers (the document lets a 400 lack them).
      if (!METHODS.includes(method)) {
        if (response.status !== 400) out.push(`${method} is not a method Node parses, yet it answered ${response.status}`);
        return out;
      }
      if (!allowed.includes(response.status)) out.push(`${method} ${url.pathname} is not in the document but answered ${response.status}`);
      if (response.status === 405 && !response.headers.get('allow')) out.push('405 without an Allow header');
      // Limited like any /v1 answer, so it says how much budget is left (the description says so).
      for (const name of RATE_LIMIT_HEADERS) if (!response.headers.has(name)) out.push(`${method} ${url.pathname} → ${response.status} without ${name}`);
      return out;
    }
    const documented = Object.keys(operation.responses ?? {});
    if (!documented.includes(String(response.status)) && !documented.includes('default')) {
      out.push(`${operation.operationId}: status ${response.status} is not documented (documented: ${documented.join(', ')}); body ${response.text.slice(0, 200)}`);
      return out;
    }
    const key = operation.operationId!;
    if (!checked.has(key)) checked.set(key, new Set());
    checked.get(key)!.add(response.status);
    if (method !== 'HEAD') {
      const result = api.validateResponse(body, operation, response.status);
      if (!result.valid) out.push(`${key} ${response.status} body differs from the document: ${JSON.stringify(result.errors).slice(0, 1000)}`);
    }
    // openapi-backend checks the values of the headers present ('any'); it treats every listed
    // header as required under 'superset', so presence of `required: true` ones is checked here.
    const headers = Object.fromEntries(response.headers);
    const headerResult = api.validateResponseHeaders(headers, operation, { statusCode: response.status, setMatchType: 'any' as any });
    if (!headerResult.valid) out.push(`${key} ${response.status} headers differ from the document: ${JSON.stringify(headerResult.errors).slice(0, 600)}`);
    const declared = (operation.responses?.[String(response.status)] as { headers?: Record<string, { required?: boolean }> } | undefined)?.headers ?? {};
    for (const [name, header] of Object.entries(declared)) {
      if (header.required && !response.headers.has(name)) out.push(`${key} ${response.status}: required header ${name} is missing`);
    }
    return out;
  };

  return {
    document,
    checked,
    problems,
    async fetch(path, init = {}) {
      const method = (init.method ?? 'GET').toUpperCase();
      const res = await fetch(new URL(path, baseUrl), init);
      const text = await res.text();
      const found = problems(method, path, { status: res.status, headers: res.headers, text });
      assert.deepEqual(found, [], `${method} ${path} → ${res.status} does not match the OpenAPI document`);
      return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text), text };
    },
  };
}

function decodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
