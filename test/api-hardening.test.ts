import assert from 'node:assert/strict';
import { METHODS, request } from 'node:http';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { createTestKeys, type TestKeys } from './helpers/keys.ts';
import { loadOpenApi, type OpenApiChecker } from './helpers/openapi.ts';

let t: TestApp;
let keys: TestKeys;
let api: OpenApiChecker;

before(async () => {
  t = await startTestApp({ server: { max_body_bytes: 1024 } });
  keys = await createTestKeys(t);
  api = await loadOpenApi(t.url);
});
after(() => t.stop());

/** A chunked upload with no Content-Length, so only counting the bytes as they arrive can stop it. */
function chunkedPost(path: string, headers: Record<string, string>, chunks: string[]): Promise<{ status: number; body: string }> {
  const url = new URL(path, t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

test('request bodies over server.max_body_bytes answer 413 payload_too_large', async () => {
  const big = JSON.stringify({ name: 'x'.repeat(2000) });
  const res = await api.fetch('/v1/keys', { method: 'POST', headers: keys.auth('admin'), body: big });
  assert.equal(res.status, 413);
  assert.equal(res.body.error, 'payload_too_large');
  assert.match(res.body.message, /1024 bytes/);
  const streamed = await chunkedPost('/v1/keys', keys.auth('admin'), ['{"name":"', 'y'.repeat(800), 'y'.repeat(800), '"}']);
  assert.equal(streamed.status, 413, streamed.body);
  assert.equal(JSON.parse(streamed.body).error, 'payload_too_large');
  const small = await api.fetch('/v1/keys', { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify({ name: 'fits' }) });
  assert.equal(small.status, 201);
});

test('bad JSON and bad fields answer 400 invalid_request naming the problem', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"name":', /not valid JSON/],
    ['{"name":"a",}', /not valid JSON/],
    ['[1,2', /not valid JSON/],
    ['{"name":""}', /body parameter "name": must not be empty/],
    ['{"name":"a","scopes":["root"]}', /body parameter "scopes.0"/],
    ['{"name":"a","rate_limit":-1}', /body parameter "rate_limit"/],
    ['{"name":"a","expires_in":"soon"}', /body parameter "expires_in": must be a duration/],
    ['{"name":"a","colour":"red"}', /colour/],
    ['"just a string"', /body/],
  ];
  for (const [body, message] of cases) {
    const res = await api.fetch('/v1/keys', { method: 'POST', headers: keys.auth('admin'), body });
    assert.equal(res.status, 400, body);
    assert.equal(res.body.error, 'invalid_request', body);
    assert.match(res.body.message, message, body);
  }
});

test('unknown or invalid query parameters answer 400 naming them', async () => {
  const cases: Array<[string, RegExp]> = [
    ['/v1/usage?verbose=1', /unknown query parameter "verbose"/],
    ['/v1/keys?limit=0', /"limit": must be between 1 and 100/],
    ['/v1/keys?limit=101', /"limit"/],
    ['/v1/keys?limit=ten', /"limit"/],
    ['/v1/keys?cursor=garbage', /"cursor": not a cursor/],
    ['/v1/keys?limit=5&sort=name', /unknown query parameter "sort"/],
  ];
  for (const [path, message] of cases) {
    const res = await api.fetch(path, { headers: keys.auth('admin') });
    assert.equal(res.status, 400, path);
    assert.match(res.body.message, message, path);
  }
});

test('wrong methods on known paths answer 405 with Allow; HEAD follows GET', async () => {
  const cases: Array<[string, string, string]> = [
    ['PUT', '/v1/keys', 'GET, HEAD, POST'],
    ['PATCH', '/v1/usage', 'GET, HEAD'],
    ['POST', '/v1/openapi.json', 'GET, HEAD'],
    ['POST', '/v1/keys/key_x', 'GET, HEAD, DELETE'],
  ];
  for (const [method, path, allow] of cases) {
    const res = await api.fetch(path, { method, headers: keys.auth('admin') });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get('allow'), allow);
    assert.equal(res.body.error, 'method_not_allowed');
  }
  const head = await api.fetch('/v1/usage', { method: 'HEAD', headers: keys.auth() });
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal((await api.fetch('/v1/nothing-here', { headers: keys.auth() })).status, 404);
});

test('every other method Node accepts answers 405 with Allow on a known path too (PROPFIND, PURGE, …)', async () => {
  const url = new URL('/v1/usage', t.url);
  const ask = (method: string) =>
    new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method, headers: keys.auth() }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
      });
      req.on('error', reject);
      req.end();
    });
  // CONNECT never reaches a request handler in Node; GET and HEAD are the route's own.
  const others = METHODS.filter((method) => !['CONNECT', 'GET', 'HEAD'].includes(method));
  assert.ok(others.includes('PROPFIND') && others.length > 20);
  for (const method of others) {
    const res = await ask(method);
    assert.equal(res.status, 405, `${method}: ${res.body}`);
    assert.equal(res.allow, 'GET, HEAD', method);
    const body = JSON.parse(res.body) as { error: string; request_id: string };
    assert.equal(body.error, 'method_not_allowed', method);
    assert.match(body.request_id, /^req_/, method);
  }
});

test('pagination is stable and cursors are opaque', async () => {
  for (let i = 0; i < 5; i++) await api.fetch('/v1/keys', { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify({ name: `page-${i}` }) });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res: { body: { data: Array<{ id: string }>; next_cursor: string | null; has_more: boolean } } = await api.fetch(`/v1/keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { headers: keys.auth('admin') });
    assert.ok(res.body.data.length <= 2);
    seen.push(...res.body.data.map((k) => k.id));
    cursor = res.body.next_cursor;
    assert.equal(res.body.has_more, cursor !== null);
  } while (cursor);
  const all = await api.fetch('/v1/keys?limit=100', { headers: keys.auth('admin') });
  assert.deepEqual(seen, all.body.data.map((k: { id: string }) => k.id));
  assert.equal(new Set(seen).size, seen.length);
});

test('an internal failure answers a bare 500: no SQL, table names or stack trace', async () => {
  t.app.db.sqlite.exec('ALTER TABLE usage RENAME TO usage_moved');
  try {
    // A fresh key forces the guard to read its usage row, which now fails inside SQLite.
    const created = await api.fetch('/v1/keys', { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify({ name: 'victim' }) });
    const res = await fetch(`${t.url}/v1/usage`, { headers: { authorization: `Bearer ${created.body.key}` } });
    const text = await res.text();
    assert.equal(res.status, 500);
    const body = JSON.parse(text);
    assert.equal(body.error, 'internal_error');
    assert.match(body.request_id, /^req_/);
    for (const leak of [/usage/i, /select/i, /sqlite/i, /no such table/i, /\bat \w+ \(/, /\.ts:\d+/]) assert.doesNotMatch(text, leak);
    assert.ok(t.logs.some((line) => line.includes('request_crashed') && line.includes(body.request_id)), 'the log has the details under the request id');
  } finally {
    t.app.db.sqlite.exec('ALTER TABLE usage_moved RENAME TO usage');
  }
});
