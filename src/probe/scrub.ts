import { providerSecrets } from '../config/secrets.ts';
import type { ProviderConfig } from '../config/schema.ts';
import { redact } from '../lib/logger.ts';

/** By provider config object: a reload builds new ones, so a changed key gets its own forms. */
const FORMS = new WeakMap<ProviderConfig, readonly string[]>();

/**
 * Every form in which a provider's secrets can come back in a text: as sent, escaped inside a
 * JSON string, and percent-encoded inside a URL (a key in those is no longer the same bytes).
 * Longest first, so a shorter form never leaves the tail of a longer one visible. Built once per
 * provider, not per probe: three strings and a sort for every result were about 1.1 KiB of each
 * probe's garbage (a sampling heap profile at 500 in flight, BENCHMARKS.md, prober).
 */
export function secretForms(provider: ProviderConfig): readonly string[] {
  let forms = FORMS.get(provider);
  if (forms === undefined) {
    forms = [...new Set(providerSecrets(provider).flatMap((secret) => [encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), secret]))].sort((a, b) => b.length - a.length);
    FORMS.set(provider, forms);
  }
  return forms;
}

/**
 * Providers echo what they were sent (a bad key in a 401 body, a header in a debug field), so
 * every text a probe keeps is masked against the provider's secrets (secretForms) before it is
 * stored.
 */
export function scrubSecrets(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = redact(out, [form]);
  return out;
}
