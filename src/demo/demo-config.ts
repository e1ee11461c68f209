import { AppError } from '../lib/errors.ts';
import { deepFreeze } from '../lib/freeze.ts';
import { configSchema, type Config } from '../config/schema.ts';
import { DEMO_MODELS } from './trouble-script.ts';

/** `serve --demo`: the running config plus the in-process demo provider, probed every 5 s. */
export const DEMO_SLUG = 'demo';

export function withDemoProvider(config: Config, baseUrl: string): Config {
  if (config.providers.some((provider) => provider.slug === DEMO_SLUG)) {
    throw new AppError('invalid_config', `--demo adds a provider named "${DEMO_SLUG}", and the config already has one; rename yours or drop --demo`);
  }
  const demo = {
    slug: DEMO_SLUG,
    name: 'Demo provider (local)',
    kind: 'openai',
    base_url: baseUrl,
    schedule: '*/5 * * * * *',
    models: DEMO_MODELS.map((model) => ({ slug: model.id })),
  };
  // Through the schema again, so the demo provider gets every default a written one would.
  return deepFreeze(configSchema.parse({ ...config, providers: [...config.providers, demo] }));
}
