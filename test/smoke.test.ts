import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from './helpers/app.ts';

test('serve answers /healthz with a request id', async () => {
  const t = await startTestApp();
  try {
    const res = await fetch(`${t.url}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-request-id') ?? '', /^req_/);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.status, 'ok');
    assert.equal(body.db, 'ok');
  } finally {
    await t.stop();
  }
});
