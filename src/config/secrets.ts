import type { Config } from './schema.ts';

// Apart from config loading (zod, yaml), so the probe timing thread can import it cheaply.
const SECRET_HEADER = /auth|key|token|secret|cookie/i;

/** The secrets one provider's requests carry: its key and any header that looks like a credential. */
export function providerSecrets(provider: Config['providers'][number]): string[] {
  const secrets = provider.api_key ? [provider.api_key] : [];
  for (const [name, value] of Object.entries(provider.headers)) if (SECRET_HEADER.test(name)) secrets.push(value);
  return secrets;
}

/** Every secret a config holds, so the logger can mask them wherever they turn up. */
export function configSecrets(config: Config): string[] {
  const secrets = config.providers.flatMap(providerSecrets);
  for (const endpoint of config.webhooks.endpoints) secrets.push(endpoint.secret);
  return secrets;
}
