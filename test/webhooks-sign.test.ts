import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import { capPulseSignature, generateSecret, signatureHeaders, standardSignature } from '../src/webhooks/sign.ts';

test('reproduces the published Standard Webhooks test vector', () => {
  // From standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts ("sign function works").
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const signature = standardSignature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
  assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  // And the library agrees with itself on the same input, so the vector is read right.
  assert.equal(new Webhook(secret).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330 * 1000), '{"test": 2432232314}'), signature);
});

test('X-CapPulse-Signature is keyed by the whole secret string and checks out with Octokit', async () => {
  const secret = generateSecret();
  const body = JSON.stringify({ id: 'evt_1', type: 'incident.created', data: { ü: 'unicode ✓' } });
  const header = capPulseSignature(secret, body);
  assert.match(header, /^sha256=[0-9a-f]{64}$/);
  assert.equal(await octokitVerify(secret, body, header), true);
  assert.equal(await octokitVerify(secret, `${body} `, header), false);
  assert.equal(await octokitVerify(generateSecret(), body, header), false);
});

test('every header set verifies with standardwebhooks and Octokit', async () => {
  const secret = generateSecret();
  const body = '{"id":"evt_abc","type":"webhook.test","created_at":"2026-11-26T00:00:00.000Z","data":{}}';
  const now = Date.now();
  const headers = signatureHeaders([secret], 'evt_abc', now, body);
  assert.equal(headers['webhook-id'], 'evt_abc');
  assert.equal(headers['webhook-timestamp'], String(Math.floor(now / 1000)));
  assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  assert.equal(await octokitVerify(secret, body, headers['x-cappulse-signature']), true);
  assert.equal(headers['x-cappulse-signature-previous'], undefined);
  assert.throws(() => new Webhook(generateSecret()).verify(body, { ...headers }), /No matching signature/);
});

test('during a rotation both signatures verify with either secret', async () => {
  const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
  const body = '{"id":"evt_rot","type":"incident.updated","created_at":"2026-11-26T00:00:00.000Z","data":{"n":1}}';
  const headers = signatureHeaders([newSecret, oldSecret], 'evt_rot', Date.now(), body);
  assert.equal(headers['webhook-signature'].split(' ').length, 2);
  for (const secret of [oldSecret, newSecret]) assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  assert.equal(await octokitVerify(newSecret, body, headers['x-cappulse-signature']), true);
  assert.equal(await octokitVerify(oldSecret, body, headers['x-cappulse-signature-previous']!), true);
  assert.throws(() => new Webhook(generateSecret()).verify(body, { ...headers }));
});

test('generated secrets look like whsec_<base64 of 24 bytes> and are accepted by the config pattern', () => {
  const secret = generateSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/=]{16,}$/);
  assert.equal(Buffer.from(secret.slice(6), 'base64').length, 24);
  assert.notEqual(generateSecret(), secret);
});
