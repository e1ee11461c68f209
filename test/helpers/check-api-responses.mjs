import assert from 'node:assert/strict';
import { isMainThread } from 'node:worker_threads';

/**
 * Preloaded into every test process (package.json's `test` script), so that every answer any test
 * gets from CapPulse's /v1 routes over fetch is checked against the OpenAPI document, not only the
 * ones a test sends through loadOpenApi (openapi.ts): a test that fetches a route directly would
 * otherwise let the route and the document drift apart unseen. A non-conforming answer rejects the
 * test's own fetch with the problems found.
 *
 * Plain JavaScript that imports TypeScript only when first needed: worker threads inherit the
 * preload, and there tsx is not yet active when it runs (nor is any API fetched).
 *
 * The document is the one the server serves, built in-process by the same route
 * (routes/openapi.ts) instead of fetched: fetching it would spend the anonymous rate-limit budget
 * of tests that count it. CapPulse's answers are told from the fake providers' (which also serve
 * /v1 paths, /v1/models among them) by their request id, `req_` and 16 letters and digits
 * (src/http/context.ts). Server errors are left to the tests that expect them: the shape of their
 * body is still checked, but "no 5xx" is the fuzz test's property, not the document's.
 */
const CAPPULSE_REQUEST_ID = /^req_[0-9A-Za-z]{16}$/;

/** The method as fetch sends it: it upper-cases only these six (`patch` goes out as `patch`, which Node refuses). */
const NORMALIZED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const sentMethod = (method) => (NORMALIZED.has(method.toUpperCase()) ? method.toUpperCase() : method);

/** The document exactly as GET /v1/openapi.json serves it (test/api-openapi-every-response.test.ts compares). */
export const servedDocument = (routes, openApiRoute, version) => openApiRoute(routes, version).handler({});

if (isMainThread) {
  const realFetch = globalThis.fetch;
  let checker;
  const load = () =>
    (checker ??= Promise.all([import('../../src/http/app.ts'), import('../../src/http/routes/openapi.ts'), import('../../src/version.ts'), import('./openapi.ts')]).then(
      ([{ API_ROUTES }, { openApiRoute }, { VERSION }, { openApiChecker }]) => openApiChecker('http://127.0.0.1', servedDocument(API_ROUTES, openApiRoute, VERSION)),
    ));

  globalThis.fetch = async function checkedFetch(input, init) {
    const response = await realFetch(input, init);
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const requestId = response.headers.get('x-request-id');
    if (!url.pathname.startsWith('/v1/') || requestId === null || !CAPPULSE_REQUEST_ID.test(requestId)) return response;
    if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return response;
    const method = sentMethod(init?.method ?? (input instanceof Request ? input.method : 'GET'));
    const text = await response.clone().text();
    const found = (await load())
      .problems(method, url.href, { status: response.status, headers: response.headers, text })
      .filter((problem) => !problem.startsWith('server error'));
    assert.deepEqual(found, [], `${method} ${url.pathname}${url.search} → ${response.status} does not match the OpenAPI document`);
    return response;
  };
}
