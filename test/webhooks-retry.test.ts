import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JITTER, nextRetry, parseRetryAfter } from '../src/webhooks/retry.ts';
import { isPrivateAddress, literalRefusal, assertUrlAllowed } from '../src/webhooks/ssrf.ts';

const schedule = [0, 5_000, 300_000, 1_800_000];

test('retry decision table', () => {
  const rows: Array<{ name: string; attempts: number; random: number; retryAfter: number | null; expect: ReturnType<typeof nextRetry> }> = [
    { name: 'first failure waits the second step', attempts: 1, random: 0.5, retryAfter: null, expect: { kind: 'retry', delayMs: 5_000 } },
    { name: 'jitter low end', attempts: 1, random: 0, retryAfter: null, expect: { kind: 'retry', delayMs: 5_000 * (1 - JITTER) } },
    { name: 'jitter high end', attempts: 2, random: 1, retryAfter: null, expect: { kind: 'retry', delayMs: 300_000 * (1 + JITTER) } },
    { name: 'Retry-After longer than the step wins', attempts: 1, random: 0.5, retryAfter: 60_000, expect: { kind: 'retry', delayMs: 60_000 } },
    { name: 'Retry-After shorter than the step is not a reason to hurry', attempts: 2, random: 0.5, retryAfter: 1_000, expect: { kind: 'retry', delayMs: 300_000 } },
    { name: 'Retry-After is capped at a day', attempts: 1, random: 0.5, retryAfter: 9 * 86_400_000, expect: { kind: 'retry', delayMs: 86_400_000 } },
    { name: 'last step used: give up', attempts: 4, random: 0.5, retryAfter: null, expect: { kind: 'give_up' } },
    { name: 'past the schedule (a crashed final attempt): give up', attempts: 7, random: 0.5, retryAfter: 1000, expect: { kind: 'give_up' } },
  ];
  for (const row of rows) assert.deepEqual(nextRetry(schedule, row.attempts, () => row.random, row.retryAfter), row.expect, row.name);
});

test('Retry-After: seconds, HTTP date, garbage', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Thu, 26 Nov 2026 12:01:30 GMT', now), 90_000);
  assert.equal(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(null, now), null);
});

test('private, loopback and link-local addresses are recognised', () => {
  const blocked = ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1', 'not-an-ip'];
  const open = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'];
  for (const address of blocked) assert.equal(isPrivateAddress(address), true, address);
  for (const address of open) assert.equal(isPrivateAddress(address), false, address);
});

test('URLs are refused or allowed by policy, before saving and at send time', async () => {
  const deny = { allowPrivate: false, allowHosts: [] };
  const resolver = async (host: string) => (host === 'internal.example' ? ['10.0.0.5'] : host === 'mixed.example' ? ['8.8.8.8', '192.168.0.9'] : ['93.184.216.34']);
  await assert.rejects(assertUrlAllowed('http://127.0.0.1:9000/hook', deny, resolver), /private, loopback or link-local.*allow_private/);
  await assert.rejects(assertUrlAllowed('http://[::1]/hook', deny, resolver), /private/);
  await assert.rejects(assertUrlAllowed('http://169.254.169.254/latest/meta-data', deny, resolver), /private/);
  await assert.rejects(assertUrlAllowed('https://internal.example/hook', deny, resolver), /internal\.example \(10\.0\.0\.5\)/);
  await assert.rejects(assertUrlAllowed('https://mixed.example/hook', deny, resolver), /192\.168\.0\.9/);
  await assert.rejects(assertUrlAllowed('https://user:pw@public.example/hook', deny, resolver), /credentials/);
  await assertUrlAllowed('https://public.example/hook', deny, resolver);
  await assertUrlAllowed('https://internal.example/hook', { allowPrivate: false, allowHosts: ['internal.example'] }, resolver);
  await assertUrlAllowed('http://127.0.0.1:9000/hook', { allowPrivate: true, allowHosts: [] }, resolver);
  await assert.rejects(assertUrlAllowed('https://nowhere.invalid/hook', deny, async () => Promise.reject(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))), /does not resolve \(ENOTFOUND\)/);

  assert.match(literalRefusal('127.0.0.1', deny)?.message ?? '', /allow_private/);
  assert.equal(literalRefusal('127.0.0.1', { allowPrivate: true, allowHosts: [] }), null);
  assert.equal(literalRefusal('[::1]', { allowPrivate: false, allowHosts: ['::1'] }), null);
  assert.equal(literalRefusal('8.8.8.8', deny), null);
  assert.equal(literalRefusal('example.com', deny), null);
});
