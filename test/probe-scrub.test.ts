import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../src/config/load.ts';
import { scrubSecrets, secretForms } from '../src/probe/scrub.ts';

const providerWith = (apiKey: string, headers: Record<string, string> = {}) =>
  validateConfig({ providers: [{ slug: 'p', kind: 'openai', base_url: 'https://api.example.test/v1', api_key: apiKey, headers, models: [{ slug: 'm' }] }] }).providers[0]!;

test('a secret that contains another is masked whole, whichever the config lists first', () => {
  // The key comes first in a provider's secrets; the org token is longer and contains it.
  const provider = providerWith('sk-proj-abc123', { 'x-org-token': 'sk-proj-abc123-org-7f3e' });
  const out = scrubSecrets('denied for sk-proj-abc123-org-7f3e and sk-proj-abc123', secretForms(provider));
  assert.equal(out, 'denied for [redacted] and [redacted]');
});

test('the escaped forms a provider may echo are masked too', () => {
  const key = 'tok+abc/def=ghi"jk';
  const forms = secretForms(providerWith(key));
  const echoed = `url ?key=${encodeURIComponent(key)} json ${JSON.stringify({ key })} raw ${key}`;
  const out = scrubSecrets(echoed, forms);
  assert.equal(out, 'url ?key=[redacted] json {"key":"[redacted]"} raw [redacted]');
});

test('forms are built once per provider object, and a reloaded provider gets its own', () => {
  const before = providerWith('sk-old-0123456789');
  assert.equal(secretForms(before), secretForms(before), 'the same array for the same provider');
  const reloaded = providerWith('sk-new-9876543210');
  assert.equal(scrubSecrets('sk-new-9876543210', secretForms(reloaded)), '[redacted]');
  assert.equal(scrubSecrets('sk-new-9876543210', secretForms(before)), 'sk-new-9876543210', 'the old forms do not hold the new key');
});
