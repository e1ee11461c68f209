import { redact } from '../lib/logger.ts';

/**
 * Providers echo what they were sent (a bad key in a 401 body, a header in a debug field), so
 * every text a probe keeps is masked against the provider's secrets before it is stored. The
 * escaped forms matter: a key inside a JSON string or a URL is no longer the same bytes.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Longest first, so a shorter form never leaves the tail of a longer one visible.
    const forms = [encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), secret].sort((a, b) => b.length - a.length);
    for (const form of forms) if (out.includes(form)) out = redact(out, [form]);
  }
  return out;
}
