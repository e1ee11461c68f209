import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VERSION } from '../src/version.ts';
import { refusedUrl, startReceiver, verifyCaptured, type Receiver } from './helpers/receiver.ts';
import { startWebhookApp, type WebhookTestApp } from './helpers/webhooks.ts';

/**
 * A scripted receiver drives every outcome through the public routes, with the clock injected.
 * Retry schedule here: 0s, 5s, 5m, 30m (four attempts); jitter pinned to zero effect.
 */
let receiver: Receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

async function endpoint(w: WebhookTestApp, path: string, extra: Record<string, unknown> = {}) {
  const res = await w.api('POST', '/v1/webhooks/endpoints', { url: receiver.url(path), ...extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; secret: string };
}

async function test_(w: WebhookTestApp, id: string) {
  const res = await w.api('POST', `/v1/webhooks/endpoints/${id}/test`);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body as { id: string; event_id: string };
}

const delivery = (w: WebhookTestApp, id: string) => w.api('GET', `/v1/webhooks/deliveries/${id}`).then((r) => r.body);

test('200: delivered once, with every header, verified by standardwebhooks and Octokit', async () => {
  const w = await startWebhookApp();
  try {
    const ep = await endpoint(w, '/ok');
    const queued = await test_(w, ep.id);
    await w.settle();
    const [request, ...more] = receiver.on('/ok');
    assert.ok(request);
    assert.equal(more.length, 0);
    await verifyCaptured(request, ep.secret);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['user-agent'], `CapPulse-Webhooks/${VERSION}`);
    assert.equal(request.headers['x-cappulse-event'], 'webhook.test');
    assert.equal(request.headers['x-cappulse-delivery'], queued.id);
    assert.equal(request.headers['webhook-id'], queued.event_id);
    assert.equal(request.headers['webhook-timestamp'], String(Math.floor(w.clock.now() / 1000)));
    const body = JSON.parse(request.body);
    assert.equal(body.id, queued.event_id);
    assert.equal(body.type, 'webhook.test');
    const d = await delivery(w, queued.id);
    assert.equal(d.status, 'delivered');
    assert.equal(d.attempts, 1);
    assert.equal(d.attempt_history[0].http_status, 200);
    assert.equal(d.attempt_history[0].response_excerpt, 'answer 200');
  } finally {
    await w.stop();
  }
});

test('500 then 200: retried on schedule with the same id and bytes; each attempt recorded', async () => {
  const w = await startWebhookApp();
  try {
    receiver.script('/flaky', [{ status: 500, body: 'x'.repeat(3000) }, 200]);
    const ep = await endpoint(w, '/flaky');
    const queued = await test_(w, ep.id);
    await w.settle();
    let d = await delivery(w, queued.id);
    assert.equal(d.status, 'pending');
    assert.equal(d.next_attempt_at, new Date(w.clock.now() + 5000).toISOString());
    assert.equal(d.attempt_history[0].response_excerpt.length, 1024);
    await w.advance(4999);
    assert.equal(receiver.on('/flaky').length, 1, 'not before its time');
    await w.advance(1);
    d = await delivery(w, queued.id);
    assert.equal(d.status, 'delivered');
    assert.deepEqual(d.attempt_history.map((a: any) => a.http_status), [500, 200]);
    const [first, second] = receiver.on('/flaky');
    assert.equal(first!.headers['webhook-id'], second!.headers['webhook-id']);
    assert.equal(first!.body, second!.body);
    assert.notEqual(first!.headers['webhook-timestamp'], second!.headers['webhook-timestamp']);
    for (const r of [first!, second!]) await verifyCaptured(r, ep.secret);
    const endpointView = (await w.api('GET', `/v1/webhooks/endpoints/${ep.id}`)).body;
    assert.equal(endpointView.failing_since, null, 'a success clears the failure clock');
  } finally {
    await w.stop();
  }
});

test('503 with Retry-After: the next attempt waits as asked', async () => {
  const w = await startWebhookApp();
  try {
    receiver.script('/busy', [{ status: 503, headers: { 'retry-after': '120' } }, 200]);
    const ep = await endpoint(w, '/busy');
    const queued = await test_(w, ep.id);
    await w.settle();
    const d = await delivery(w, queued.id);
    assert.equal(d.next_attempt_at, new Date(w.clock.now() + 120_000).toISOString());
    await w.advance(60_000);
    assert.equal(receiver.on('/busy').length, 1);
    await w.advance(60_000);
    assert.equal((await delivery(w, queued.id)).status, 'delivered');
  } finally {
    await w.stop();
  }
});

test('timeout, redirect and connection refused are failures that retry; a redirect is never followed', async () => {
  const w = await startWebhookApp();
  try {
    receiver.script('/slow', ['hang']);
    receiver.script('/moved', ['redirect']);
    const slow = await endpoint(w, '/slow');
    const moved = await endpoint(w, '/moved');
    const refused = (await w.api('POST', '/v1/webhooks/endpoints', { url: await refusedUrl() })).body;
    const cases = [
      { ep: slow, error: /^timeout: no complete answer within 2000 ms/, status: null },
      { ep: moved, error: /^HTTP 302$/, status: 302 },
      { ep: refused, error: /ECONNREFUSED/, status: null },
    ];
    const ids = [];
    for (const c of cases) ids.push((await test_(w, c.ep.id)).id);
    await w.settle();
    for (const [i, c] of cases.entries()) {
      const d = await delivery(w, ids[i]!);
      assert.equal(d.status, 'pending', c.ep.id);
      assert.match(d.attempt_history[0].error, c.error);
      assert.equal(d.attempt_history[0].http_status, c.status);
      assert.equal(d.attempt_history[0].next_attempt_at, new Date(w.clock.now() + 5000).toISOString());
    }
    assert.equal(receiver.on('/elsewhere').length, 0);
    const view = (await w.api('GET', `/v1/webhooks/endpoints/${slow.id}`)).body;
    assert.equal(view.failing_since, new Date(w.clock.now()).toISOString());
  } finally {
    await w.stop();
  }
});

test('after the last attempt a delivery is failed; recover-since and redeliver send it again', async () => {
  const w = await startWebhookApp();
  try {
    receiver.script('/down', [500]);
    const ep = await endpoint(w, '/down');
    const queued = await test_(w, ep.id);
    await w.settle();
    for (const step of [5_000, 300_000, 1_800_000]) await w.advance(step);
    let d = await delivery(w, queued.id);
    assert.equal(d.status, 'failed');
    assert.equal(d.attempts, 4);
    assert.equal(receiver.on('/down').length, 4);
    const failed = await w.api('GET', `/v1/webhooks/endpoints/${ep.id}/deliveries?status=failed`);
    assert.deepEqual(failed.body.data.map((x: any) => x.id), [queued.id]);

    receiver.script('/down', [200]);
    const tooLate = await w.api('POST', `/v1/webhooks/endpoints/${ep.id}/recover`, { since: new Date(w.clock.now()).toISOString() });
    assert.equal(tooLate.body.recovered, 0);
    const recovered = await w.api('POST', `/v1/webhooks/endpoints/${ep.id}/recover`, { since: new Date(w.clock.now() - 86_400_000).toISOString() });
    assert.equal(recovered.status, 202);
    assert.equal(recovered.body.recovered, 1);
    await w.settle();
    d = await delivery(w, queued.id);
    assert.equal(d.status, 'delivered');
    assert.equal(d.attempts, 5);

    const again = await w.api('POST', `/v1/webhooks/deliveries/${queued.id}/redeliver`);
    assert.equal(again.status, 202);
    await w.settle();
    const sent = receiver.on('/down');
    assert.equal(sent.length, 6);
    assert.equal(new Set(sent.map((r) => r.headers['webhook-id'])).size, 1);
    assert.equal((await delivery(w, queued.id)).attempt_history.length, 6);
  } finally {
    await w.stop();
  }
});

test('410 Gone disables the endpoint and fails its queue', async () => {
  const w = await startWebhookApp();
  try {
    receiver.script('/gone', [410]);
    const ep = await endpoint(w, '/gone');
    const first = await test_(w, ep.id);
    await w.settle();
    const view = (await w.api('GET', `/v1/webhooks/endpoints/${ep.id}`)).body;
    assert.equal(view.enabled, false);
    assert.match(view.disabled_reason, /410/);
    assert.equal((await delivery(w, first.id)).status, 'failed');
    const refused = await w.api('POST', `/v1/webhooks/endpoints/${ep.id}/test`);
    assert.equal(refused.status, 409);
    // Re-enabled by an admin, it receives again.
    receiver.script('/gone', [200]);
    assert.equal((await w.api('PATCH', `/v1/webhooks/endpoints/${ep.id}`, { enabled: true })).body.enabled, true);
    const second = await test_(w, ep.id);
    await w.settle();
    assert.equal((await delivery(w, second.id)).status, 'delivered');
  } finally {
    await w.stop();
  }
});

test('an endpoint whose deliveries all fail for 5 days is disabled', async () => {
  const w = await startWebhookApp({ retry_schedule: ['0s', '1h'] });
  try {
    receiver.script('/dead', [500]);
    const ep = await endpoint(w, '/dead');
    const started = w.clock.now();
    await test_(w, ep.id);
    await w.settle();
    for (let day = 1; day <= 4; day++) {
      w.clock.set(started + day * 86_400_000);
      await test_(w, ep.id);
      await w.settle();
      assert.equal((await w.api('GET', `/v1/webhooks/endpoints/${ep.id}`)).body.enabled, true, `day ${day}`);
    }
    w.clock.set(started + 5 * 86_400_000);
    const last = await test_(w, ep.id);
    await w.settle();
    const view = (await w.api('GET', `/v1/webhooks/endpoints/${ep.id}`)).body;
    assert.equal(view.enabled, false);
    assert.match(view.disabled_reason, /every delivery has failed since/);
    assert.equal(view.failing_since, new Date(started).toISOString());
    assert.equal((await delivery(w, last.id)).status, 'failed');
  } finally {
    await w.stop();
  }
});

test('a wall clock that jumps past the lease while a POST is in flight does not make this process send it again', async () => {
  // Laptop sleep or an NTP step: the lease looks expired, but this process still owns the POST.
  const w = await startWebhookApp();
  try {
    receiver.hold('/clock-jump', 400);
    const ep = await endpoint(w, '/clock-jump');
    const queued = await test_(w, ep.id);
    for (let i = 0; i < 400 && receiver.on('/clock-jump').length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(receiver.on('/clock-jump').length, 1, 'the first POST is in flight');
    await w.advance(60_000); // the lease is 2 × timeout (2 s) + 1 s
    assert.equal(receiver.on('/clock-jump').length, 1, 'sent once');
    const d = await delivery(w, queued.id);
    assert.equal(d.status, 'delivered');
    assert.equal(d.attempts, 1);
  } finally {
    await w.stop();
  }
});
