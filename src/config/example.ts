import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The example config ships inside the standalone executable as an SEA asset; from a source
 * checkout it is the repository's config.example.yaml.
 */
export function exampleConfigText(): string {
  try {
    const require = createRequire(import.meta.url);
    const sea = require('node:sea') as { isSea(): boolean; getAsset(name: string, encoding: string): string };
    if (sea.isSea()) return sea.getAsset('config.example.yaml', 'utf8');
  } catch {
    // node:sea is missing on older Node versions: not an executable, fall through.
  }
  return readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
}
