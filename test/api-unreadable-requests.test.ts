import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startTestApp, type TestApp } from './helpers/app.ts';

/**
 * Requests Node's HTTP parser refuses never reach h3; found by the API fuzz, whose random methods
 * got Node's own answer: an empty body without a request id. They answer in the API's error shape.
 */
let t: TestApp;

before(async () => {
  t = await startTestApp();
});
after(() => t.stop());

/** node:http, not fetch: fetch would not send these requests as they are. */
function send(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(path, t.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assertErrorShape(res: { headers: Record<string, unknown>; body: string }, message: RegExp): void {
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = JSON.parse(res.body) as { error: string; message: string; request_id: string };
  assert.deepEqual(Object.keys(body), ['error', 'message', 'request_id']);
  assert.equal(body.error, 'invalid_request');
  assert.match(body.message, message);
  assert.match(body.request_id, /^req_[0-9A-Za-z]{16}$/);
  assert.equal(res.headers['x-request-id'], body.request_id);
}

test('a method Node does not know answers 400 invalid_request with a request id', async () => {
  for (const method of ['FOO', 'BREW', '&']) {
    const res = await send(method, '/v1/providers');
    assert.equal(res.status, 400, method);
    assertErrorShape(res, /unknown HTTP method/);
  }
});

test('headers over Node\'s limit answer 431 in the same shape, and the server goes on answering', async () => {
  const res = await send('GET', '/v1/providers', { 'x-padding': 'x'.repeat(20_000) });
  assert.equal(res.status, 431);
  assertErrorShape(res, /larger than \d+ bytes/);
  const after = await send('GET', '/healthz');
  assert.equal(after.status, 200);
});
