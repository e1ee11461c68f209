import { readFileSync } from 'node:fs';
import { seaAsset } from '../lib/sea.ts';

/**
 * The example config ships inside the standalone executable as an SEA asset; from a source
 * checkout it is the repository's config.example.yaml.
 */
export function exampleConfigText(): string {
  const embedded = seaAsset('config.example.yaml');
  if (embedded) return Buffer.from(embedded).toString('utf8');
  return readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
}
