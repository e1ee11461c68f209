import { createRequire } from 'node:module';

interface SeaModule {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
}

/**
 * An asset embedded in the standalone executable (scripts/build/sea.mjs), or undefined when not
 * running inside it: from a source checkout, callers read the file the asset was made from.
 */
export function seaAsset(key: string): ArrayBuffer | undefined {
  let sea: SeaModule;
  try {
    sea = createRequire(import.meta.url)('node:sea') as SeaModule;
  } catch {
    // node:sea is missing on older Node versions: not an executable.
    return undefined;
  }
  return sea.isSea() ? sea.getAsset(key) : undefined;
}
