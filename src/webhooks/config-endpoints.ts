import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { ConfigEndpoint } from '../store/webhooks.ts';

/**
 * Endpoints written in the config file. Their id is derived from the URL so a restart finds the
 * same row (and its history); their secret is read from the running config at send time and is
 * never copied into the database, where it would outlive a change of the environment variable.
 */
export interface ConfiguredEndpoint extends ConfigEndpoint {
  secret: string;
}

export function configEndpoints(config: Config): ConfiguredEndpoint[] {
  const seen = new Map<string, number>();
  return config.webhooks.endpoints.map((endpoint) => {
    const n = (seen.get(endpoint.url) ?? 0) + 1;
    seen.set(endpoint.url, n);
    const digest = createHash('sha256').update(n === 1 ? endpoint.url : `${endpoint.url}#${n}`).digest('hex').slice(0, 20);
    return { id: `we_cfg_${digest}`, url: endpoint.url, events: [...endpoint.events], description: endpoint.description ?? null, secret: endpoint.secret };
  });
}

export function isConfigEndpointId(id: string): boolean {
  return id.startsWith('we_cfg_');
}
