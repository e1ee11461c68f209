import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestApp } from './helpers/app.ts';
import { createTestKeys } from './helpers/keys.ts';
import { startReceiver, verifyCaptured, type Receiver } from './helpers/receiver.ts';
import { startWebhookApp } from './helpers/webhooks.ts';

let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

test('endpoint routes: create shows the secret once; list, get, update, delete; admin key needed', async () => {
  const w = await startWebhookApp();
  try {
    const unauth = await fetch(`${w.t.url}/v1/webhooks/endpoints`);
    assert.equal(unauth.status, 401);
    const created = await w.api('POST', '/v1/webhooks/endpoints', { url: receiver.url('/crud'), events: ['incident.created'], description: 'ops' });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^we_/);
    assert.match(created.body.secret, /^whsec_/);
    assert.deepEqual(created.body.events, ['incident.created']);
    assert.equal(created.body.source, 'api');
    const got = await w.api('GET', `/v1/webhooks/endpoints/${created.body.id}`);
    assert.equal(got.body.secret, undefined);
    assert.equal(JSON.stringify(got.body).includes(created.body.secret), false);

    for (let i = 0; i < 2; i++) await w.api('POST', '/v1/webhooks/endpoints', { url: receiver.url(`/crud${i}`) });
    const page1 = await w.api('GET', '/v1/webhooks/endpoints?limit=2');
    assert.equal(page1.body.data.length, 2);
    assert.equal(page1.body.has_more, true);
    const page2 = await w.api('GET', `/v1/webhooks/endpoints?limit=2&cursor=${page1.body.next_cursor}`);
    assert.equal(page2.body.data.length, 1);
    assert.equal(new Set([...page1.body.data, ...page2.body.data].map((e: any) => e.id)).size, 3);

    const patched = await w.api('PATCH', `/v1/webhooks/endpoints/${created.body.id}`, { events: ['incident.updated', 'provider.recovered'], enabled: false });
    assert.deepEqual(patched.body.events, ['incident.updated', 'provider.recovered']);
    assert.equal(patched.body.enabled, false);
    const bad = await w.api('PATCH', `/v1/webhooks/endpoints/${created.body.id}`, { events: ['nope'] });
    assert.equal(bad.status, 400);
    assert.equal((await w.api('POST', '/v1/webhooks/endpoints', { url: 'ftp://x' })).status, 400);

    const deleted = await w.api('DELETE', `/v1/webhooks/endpoints/${created.body.id}`);
    assert.deepEqual(deleted.body, { id: created.body.id, deleted: true });
    assert.equal((await w.api('GET', `/v1/webhooks/endpoints/${created.body.id}`)).status, 404);
    assert.equal((await w.api('GET', '/v1/webhooks/deliveries/dlv_nothing')).status, 404);
  } finally {
    await w.stop();
  }
});

test('SSRF: loopback and private URLs are refused unless the config allows them', async () => {
  const t = await startTestApp({ webhooks: { allow_hosts: ['localhost'] } });
  try {
    const keys = await createTestKeys(t);
    const post = (url: string) => fetch(`${t.url}/v1/webhooks/endpoints`, { method: 'POST', headers: keys.auth('admin'), body: JSON.stringify({ url }) });
    for (const url of ['http://127.0.0.1:9/hook', 'http://10.0.0.8/hook', 'http://169.254.169.254/latest', 'http://[::1]:8080/x']) {
      const res = await post(url);
      assert.equal(res.status, 400, url);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, 'invalid_request');
      assert.match(body.message, /allow_private/);
    }
    assert.equal((await post(receiver.url('/x').replace('127.0.0.1', 'localhost'))).status, 201, 'allow_hosts lets a named host through');
  } finally {
    await t.stop();
  }
});

test('config endpoints are synced at start-up, read-only, and sign with the config secret', async () => {
  const secret = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
  const w = await startWebhookApp({ endpoints: [{ url: receiver.url('/cfg'), secret, events: ['provider.degraded'] }] });
  try {
    const list = await w.api('GET', '/v1/webhooks/endpoints');
    const [ep] = list.body.data;
    assert.equal(list.body.data.length, 1);
    assert.equal(ep.source, 'config');
    assert.match(ep.id, /^we_cfg_/);
    assert.equal((await w.api('PATCH', `/v1/webhooks/endpoints/${ep.id}`, { url: receiver.url('/other') })).status, 409);
    assert.equal((await w.api('DELETE', `/v1/webhooks/endpoints/${ep.id}`)).status, 409);
    assert.equal((await w.api('POST', `/v1/webhooks/endpoints/${ep.id}/rotate`, {})).status, 409);
    assert.equal((await w.api('PATCH', `/v1/webhooks/endpoints/${ep.id}`, { enabled: true })).status, 200);

    await w.emit({ type: 'provider.degraded', data: { provider: 'openai' } });
    await w.emit({ type: 'provider.recovered', data: { provider: 'openai' } });
    await w.settle();
    const got = receiver.on('/cfg');
    assert.equal(got.length, 1, 'only the subscribed type is delivered');
    assert.equal(JSON.parse(got[0]!.body).type, 'provider.degraded');
    await verifyCaptured(got[0]!, secret);
    const rows = w.t.app.db.sqlite.prepare('select secret from webhook_endpoints').all() as Array<{ secret: string | null }>;
    assert.deepEqual(rows, [{ secret: null }], 'a config secret is not copied into the database');
  } finally {
    await w.stop();
  }
});

test('rotation: both secrets sign during the grace period, then only the new one', async () => {
  const w = await startWebhookApp();
  try {
    const ep = (await w.api('POST', '/v1/webhooks/endpoints', { url: receiver.url('/rot') })).body;
    const rotated = await w.api('POST', `/v1/webhooks/endpoints/${ep.id}/rotate`, { grace: '1h' });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, ep.secret);
    assert.equal(rotated.body.previous_secret_expires_at, new Date(w.clock.now() + 3_600_000).toISOString());
    await w.api('POST', `/v1/webhooks/endpoints/${ep.id}/test`);
    await w.settle();
    const during = receiver.on('/rot').at(-1)!;
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);
    await verifyCaptured(during, rotated.body.secret, 'current');
    await verifyCaptured(during, ep.secret, 'previous');
    // Either secret alone satisfies the Standard Webhooks verifier.
    await assert.rejects(verifyCaptured(during, ep.secret, 'current'), /X-CapPulse-Signature does not verify/);

    w.clock.advance(3_600_001);
    await w.api('POST', `/v1/webhooks/endpoints/${ep.id}/test`);
    await w.settle();
    const afterGrace = receiver.on('/rot').at(-1)!;
    assert.equal(String(afterGrace.headers['webhook-signature']).split(' ').length, 1);
    assert.equal(afterGrace.headers['x-cappulse-signature-previous'], undefined);
    await verifyCaptured(afterGrace, rotated.body.secret);
    await assert.rejects(verifyCaptured(afterGrace, ep.secret));
  } finally {
    await w.stop();
  }
});

test("one incident's updates go out in order, even when an earlier one is retried", async () => {
  const w = await startWebhookApp();
  try {
    receiver.script('/order', [500, 200]);
    await w.api('POST', '/v1/webhooks/endpoints', { url: receiver.url('/order') });
    const first = await w.emit({ type: 'incident.created', data: { n: 1 }, incidentId: 'inc_A' });
    const second = await w.emit({ type: 'incident.updated', data: { n: 2 }, incidentId: 'inc_A' });
    const other = await w.emit({ type: 'incident.created', data: { n: 3 }, incidentId: 'inc_B' });
    await w.settle();
    const ids = () => receiver.on('/order').map((r) => r.headers['webhook-id']);
    // inc_A's first update failed and waits 5 s; its second must wait behind it; inc_B is free.
    assert.deepEqual(ids().sort(), [first, other].sort());
    await w.advance(5000);
    assert.deepEqual(ids().slice(2), [first, second]);
  } finally {
    await w.stop();
  }
});

test('concurrency caps hold overall and per endpoint', async () => {
  const w = await startWebhookApp({ concurrency: 3, endpoint_concurrency: 2 });
  try {
    receiver.hold('/capA', 300);
    receiver.hold('/capB', 300);
    await w.api('POST', '/v1/webhooks/endpoints', { url: receiver.url('/capA') });
    await w.api('POST', '/v1/webhooks/endpoints', { url: receiver.url('/capB') });
    for (let i = 0; i < 8; i++) await w.emit({ type: 'provider.degraded', data: { i } });
    await w.settle();
    assert.equal(receiver.on('/capA').length, 8);
    assert.equal(receiver.on('/capB').length, 8);
    assert.equal(receiver.peak.byPath.get('/capA'), 2);
    assert.equal(receiver.peak.byPath.get('/capB'), 2);
    assert.equal(receiver.peak.total, 3);
  } finally {
    await w.stop();
  }
});

test('SSRF at send time: a config URL that is or resolves to loopback is refused when connecting', async () => {
  const secret = 'whsec_' + Buffer.alloc(24, 5).toString('base64');
  const named = receiver.url('/ssrf-named').replace('127.0.0.1', 'localhost');
  const w = await startWebhookApp({ allow_private: false, endpoints: [{ url: named, secret }, { url: receiver.url('/ssrf-literal'), secret }] });
  try {
    await w.emit({ type: 'provider.degraded', data: {} });
    await w.settle();
    const endpoints = (await w.api('GET', '/v1/webhooks/endpoints')).body.data;
    assert.equal(endpoints.length, 2);
    for (const ep of endpoints) {
      const [d] = (await w.api('GET', `/v1/webhooks/endpoints/${ep.id}/deliveries`)).body.data;
      const detail = (await w.api('GET', `/v1/webhooks/deliveries/${d.id}`)).body;
      assert.match(detail.attempt_history[0].error, /private, loopback or link-local.*allow_private/, ep.url);
    }
    assert.equal(receiver.on('/ssrf-named').length + receiver.on('/ssrf-literal').length, 0);
    assert.equal(w.t.logs.filter((line) => line.includes('endpoint_refused')).length, 2, 'both are named at start-up');
  } finally {
    await w.stop();
  }
});
