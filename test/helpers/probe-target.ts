import { validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { resolveTargets, type ResolvedTarget } from '../../src/config/targets.ts';

type ProviderInput = NonNullable<ConfigInput['providers']>[number];

/** One resolved target from a provider section, for calling runProbe directly. */
export function probeTarget(provider: Partial<ProviderInput> & Pick<ProviderInput, 'kind' | 'base_url'>, defaults: ConfigInput['defaults'] = {}): ResolvedTarget {
  const config = validateConfig({
    defaults,
    providers: [{ slug: 'fake', models: provider.kind === 'http' ? [] : [{ slug: 'fake-model' }], ...provider }],
  });
  const [target] = resolveTargets(config);
  if (!target) throw new Error('no target');
  return target;
}
