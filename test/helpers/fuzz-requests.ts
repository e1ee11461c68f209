import fc from 'fast-check';
import { API_ROUTES } from '../../src/http/app.ts';
import { generateApiKey } from '../../src/lib/api-key.ts';

/**
 * Random requests for the API fuzz (test/api-fuzz.test.ts): methods, paths (real route shapes
 * with known and random parameters, nonsense under /v1, a few outside it), query strings,
 * headers and bodies. Everything here is something fetch (undici) will actually send: what it
 * refuses is left out while generating, so a request that fails to go out is a test failure.
 */
export interface FuzzRequest {
  method: string;
  path: string;
  /** 'read' and 'admin' stand for the target's real keys. */
  authorization: string | undefined;
  headers: Array<[string, string]>;
  body: { payload: string | Uint8Array; stream: boolean } | undefined;
}

/** Ids and slugs that exist on the server, so parameterised routes answer 200 too, not only 404. */
export interface KnownValues {
  ids: string[];
  slugs: string[];
}

// Names undici's dispatcher refuses ("invalid connection header"), though Headers accepts them.
const UNDICI_REFUSES = new Set(['transfer-encoding', 'keep-alive', 'upgrade', 'expect']);
// Only these Connection values get through undici.
const CONNECTION_VALUES = ['close', 'keep-alive'];
// undici refuses a value with any other character (control characters, DEL, beyond latin1).
const SENDABLE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
// Past 16 KiB of request line and headers Node's parser answers 431 before h3 sees the request
// (its own test is in api-unreadable-requests.test.ts); the random headers fill what is left of
// 15 KiB after the URL and Authorization, the rest being for what undici adds (host, user-agent…).
const HEAD_BYTES = 15 * 1024;
const LOCAL_HOOK = 'http://127.0.0.1:9/hook';

const headerChar = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  { weight: 1, arbitrary: fc.constantFrom(0x09, 0x20, 0xa0) },
).map((code) => String.fromCharCode(code));
const longValue = fc
  .tuple(fc.integer({ min: 4096, max: 8192 }), fc.string({ unit: headerChar, minLength: 1, maxLength: 16 }))
  .map(([length, piece]) => piece.repeat(Math.ceil(length / piece.length)).slice(0, length));
// About one request in four carries a long value: enough to meet them often, few enough that
// undici and Node copying kilobytes of headers do not make up most of the run.
const headerValue = fc.oneof(
  { weight: 32, arbitrary: fc.string({ unit: headerChar, maxLength: 40 }) },
  { weight: 4, arbitrary: fc.constantFrom('', ' ', '\t', '  padded  ', '\tx\t', 'a  \t b', '\xa0', ',,,', ';', '""', 'null', 'undefined', '__proto__') },
  { weight: 1, arbitrary: longValue },
);
const headerName = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,24}$/);

const ip = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('unknown', '127.0.0.1', '::1', '999.1.1.1', '_hidden', ''));
/** The headers a server, a proxy or a framework might look at, with real and broken values. */
const namedHeaders = fc.record(
  {
    accept: fc.oneof(fc.constantFrom('application/json', '*/*', 'text/html', 'application/problem+json', 'application/json;q=0.1, text/plain;q=0.9', 'text/event-stream', 'image/*;q=abc'), headerValue),
    'accept-encoding': fc.oneof(fc.constantFrom('gzip', 'br', 'deflate', 'zstd', 'identity;q=0', '*;q=0', 'gzip, deflate, br, zstd', 'compress;q=-1'), headerValue),
    'accept-language': fc.oneof(fc.constantFrom('en-US,en;q=0.9', 'de', '*'), headerValue),
    'content-type': fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json;charset=UTF-16',
        'application/json; charset="latin1"',
        'application/json; charset=nope',
        'application/merge-patch+json',
        'text/plain',
        'text/plain; charset=us-ascii',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=----x',
        'application/octet-stream',
        'application/xml',
      ),
      headerValue,
    ),
    'content-encoding': fc.oneof(fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'gzip, gzip'), headerValue),
    'x-forwarded-for': fc.oneof(ip, fc.array(ip, { minLength: 2, maxLength: 5 }).map((list) => list.join(', ')), headerValue),
    'x-forwarded-host': fc.oneof(fc.constantFrom('evil.example', 'localhost:1', '[::1]:80', 'a b', ''), headerValue),
    'x-forwarded-proto': fc.oneof(fc.constantFrom('https', 'http', 'ftp', 'https, http'), headerValue),
    'x-real-ip': ip,
    forwarded: fc.oneof(ip.map((address) => `for=${address};proto=https;host=evil.example`), fc.constantFrom('for="[2001:db8::1]:4711"', 'for=unknown, for=_x', 'by=;for'), headerValue),
    origin: fc.oneof(fc.constantFrom('https://evil.example', 'null', 'http://localhost:3000', 'file://'), headerValue),
    referer: fc.oneof(fc.webUrl(), headerValue),
    cookie: fc.oneof(fc.constantFrom('session=abc', 'a=b; c=d', '=; ;=', `cp_key=${generateApiKey().key}`), headerValue),
    'if-none-match': fc.oneof(fc.constantFrom('"abc"', 'W/"x"', '*', '"a", "b"', 'W/'), headerValue),
    'if-modified-since': fc.oneof(fc.constantFrom('Wed, 21 Oct 2015 07:28:00 GMT', 'yesterday', '0'), headerValue),
    range: fc.oneof(fc.constantFrom('bytes=0-10', 'bytes=-5', 'bytes=10-', 'bytes=5-1', 'bytes=0-0,2-3', 'items=0-9', 'bytes=abc'), headerValue),
    'x-request-id': fc.oneof(fc.constantFrom('req_0000000000000000', 'req_<script>alert(1)</script>', 'abc', '../../etc/passwd', "'; drop table api_keys; --"), headerValue),
    'x-http-method-override': fc.constantFrom('DELETE', 'PATCH', 'PUT', 'GET', 'TRACE', 'x'),
    'user-agent': fc.oneof(fc.constantFrom('curl/8.0', 'Mozilla/5.0', ''), headerValue),
    'cache-control': fc.oneof(fc.constantFrom('no-cache', 'max-age=0', 'no-store, no-transform'), headerValue),
    connection: fc.constantFrom(...CONNECTION_VALUES),
    te: fc.constantFrom('trailers', 'gzip', ''),
  },
  { requiredKeys: [] },
);

/** Everything else: names a client might invent (or that collide with the ones above, in any case). */
const extraHeaders = fc.array(fc.tuple(fc.oneof(headerName, fc.constantFrom('Authorization', 'CONTENT-TYPE', 'X-Request-ID', 'Host', 'Content-Length')), headerValue), { maxLength: 4 });

/** What undici sends as given: refused names and values are dropped, and so is what would go past `budget` bytes. */
function sendable(named: Record<string, string>, extra: Array<[string, string]>, budget: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let bytes = 0;
  for (const [name, value] of [...Object.entries(named), ...extra]) {
    const lower = name.toLowerCase();
    if (UNDICI_REFUSES.has(lower) || (lower === 'connection' && !CONNECTION_VALUES.includes(value.trim().toLowerCase()))) continue;
    // fetch owns these: it writes Content-Length from the body, and a second Authorization would join the real one.
    if (lower === 'content-length' || lower === 'host' || lower === 'authorization') continue;
    if (!SENDABLE_VALUE.test(value) || bytes + name.length + value.length + 4 > budget) continue;
    bytes += name.length + value.length + 4;
    out.push([name, value]);
  }
  return out;
}

const segment = (known: KnownValues) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
    { weight: 3, arbitrary: fc.constantFrom(...known.ids, ...known.slugs) },
    { weight: 2, arbitrary: fc.constantFrom('key_x', 'inc_1', '0', '-1', '%2E%2E', '%00', '%E0%A4%A', 'null', 'a'.repeat(300), '%2F', 'evt_abc', '%20', '~', '__proto__', 'constructor') },
  );

const fillPath = (path: string, values: string[]) => {
  let i = 0;
  return path.replace(/:\w+/g, () => values[i++ % values.length]!);
};

const PAGES = ['/', '/healthz', '/metrics', '/v1', '/v1/', '/V1/providers', '//v1//providers', '/v1/providers/', '/providers', '/models', '/incidents', '/reports', '/favicon.ico', '/assets/app.css', '/assets/..%2f..%2fpackage.json'];

const queryString = (known: KnownValues) =>
  fc
    .array(
      fc.tuple(
        fc.constantFrom('limit', 'cursor', 'window', 'status', 'provider', 'model', 'include_removed', 'x', '', 'limit[]', '__proto__', 'window'),
        fc.oneof(fc.string({ maxLength: 10 }), fc.integer({ min: -5, max: 200 }).map(String), fc.constantFrom('1h', '24h', '7d', '30d', 'open', 'resolved', 'true', 'false', ...known.slugs)),
      ),
      { maxLength: 3 },
    )
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`));

/** A route's example body (the valid case), pointed at a local address nothing listens on. */
const exampleBody = (example: object) => JSON.stringify({ ...example, ...('url' in example ? { url: LOCAL_HOOK } : {}) });
const EXAMPLE_BODIES = API_ROUTES.flatMap((route) => (route.requestExample ? [exampleBody(route.requestExample)] : []));

const bodyPayload = fc.oneof(
  { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 3, arbitrary: fc.constantFrom(...EXAMPLE_BODIES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.record({ name: fc.string({ maxLength: 20 }), scopes: fc.array(fc.constantFrom('read', 'admin', 'root'), { maxLength: 2 }), url: fc.oneof(fc.constant(LOCAL_HOOK), fc.string()) }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', 'null', '[]', '"x"', '1e999', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '['.repeat(2000), '{"a":1,"a":2}', '\ufeff{}') },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2000, max: 6000 }).map((n) => 'x'.repeat(n)) },
);
/** Larger than the fuzz servers' max_body_bytes (2048), and valid JSON but for that. */
const oversized = fc.integer({ min: 2100, max: 8000 }).map((n) => JSON.stringify({ name: 'x'.repeat(n) }));

/** fetch refuses some methods (CONNECT, TRACE, TRACK) outright: those are not requests one can send. */
function fetchAccepts(method: string): boolean {
  try {
    new Request('http://x/', { method });
    return true;
  } catch {
    return false;
  }
}

/**
 * One request. Two in three follow a real route (its method, its path with known or random parameters,
 * mostly no query string, often its example body), so that the handlers behind the guard are
 * reached, not only the router's 404 and 405 and the query check's 400.
 */
export function fuzzRequest(known: KnownValues): fc.Arbitrary<FuzzRequest> {
  const params = fc.array(segment(known), { minLength: 3, maxLength: 3 });
  const payload = fc.record({ payload: bodyPayload, stream: fc.boolean() });
  const invalidAuth = fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
    fc.constantFrom(`Bearer ${generateApiKey().key}`, 'Bearer', 'Basic abc', 'bearer  cp_live_', `Bearer cp_live_${'A'.repeat(38)}`, `Bearer ${'x'.repeat(5000)}`),
  );
  const routed = fc.constantFrom(...API_ROUTES).chain((route) =>
    fc.record({
      method: fc.constant(route.method as string),
      path: params.map((values) => fillPath(route.path, values)),
      query: fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryString(known) }),
      // Mostly the key the route needs: every body route is an admin one, and only past the guard is a body read.
      authorization: fc.oneof({ weight: 6, arbitrary: fc.constant<string | undefined>(route.auth === 'admin' ? 'admin' : 'read') }, { weight: 2, arbitrary: fc.constantFrom('read', 'admin') }, { weight: 2, arbitrary: invalidAuth }),
      body: fc.option(
        fc.oneof(
          { weight: 3, arbitrary: route.requestExample ? fc.record({ payload: fc.constant(exampleBody(route.requestExample)), stream: fc.boolean() }) : payload },
          { weight: 2, arbitrary: payload },
          { weight: 1, arbitrary: fc.record({ payload: oversized, stream: fc.boolean() }) },
        ),
        { freq: 4 },
      ),
    }),
  );
  const anyPath = fc.oneof(
    fc.tuple(fc.constantFrom(...API_ROUTES.map((r) => r.path), '/v1/openapi.json'), params).map(([path, values]) => fillPath(path, values)),
    fc.array(segment(known), { minLength: 1, maxLength: 4 }).map((parts) => `/v1/${parts.join('/')}`),
    fc.constantFrom(...PAGES),
  );
  const method = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom('get', 'patch', 'Post', 'PROPFIND', 'QUERY', 'PURGE', 'M-SEARCH', 'TRACE', 'CONNECT'), headerName) },
  ).filter(fetchAccepts);
  const unrouted = fc.record({
    method,
    path: anyPath,
    query: queryString(known),
    authorization: fc.oneof({ weight: 2, arbitrary: fc.constantFrom<string | undefined>('read', 'admin') }, { weight: 1, arbitrary: invalidAuth }),
    body: fc.option(payload, { freq: 2 }),
  });
  return fc
    .record({ target: fc.oneof({ weight: 2, arbitrary: routed }, { weight: 1, arbitrary: unrouted }), named: namedHeaders, extra: extraHeaders })
    .map(({ target: { method, path, query, authorization, body }, named, extra }) => {
      // fetch upper-cases the standard methods itself; the checker must be told the method sent.
      const sent = new Request('http://x/', { method }).method;
      // fetch refuses a body on GET and HEAD.
      const withBody = body !== null && sent !== 'GET' && sent !== 'HEAD';
      const budget = HEAD_BYTES - path.length - query.length - (authorization?.length ?? 0) - 64;
      return { method: sent, path: path + query, authorization, headers: sendable(named as Record<string, string>, extra, budget), body: withBody ? body : undefined };
    });
}

/** The fetch options of a request; `auth` turns 'read' and 'admin' into the target's keys. */
export function requestInit(r: FuzzRequest, auth: (scope: 'read' | 'admin') => string): RequestInit {
  const headers = new Headers(r.headers);
  if (r.authorization === 'read' || r.authorization === 'admin') headers.set('authorization', `Bearer ${auth(r.authorization)}`);
  else if (r.authorization !== undefined) headers.set('authorization', r.authorization);
  if (!r.body) return { method: r.method, headers };
  const bytes = typeof r.body.payload === 'string' ? new TextEncoder().encode(r.body.payload) : r.body.payload;
  if (!r.body.stream) return { method: r.method, headers, body: bytes };
  // A stream has no length up front: sent chunked, so the body limit must be enforced as it arrives.
  const half = Math.floor(bytes.length / 2);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, half));
      controller.enqueue(bytes.slice(half));
      controller.close();
    },
  });
  return { method: r.method, headers, body, duplex: 'half' } as RequestInit;
}
