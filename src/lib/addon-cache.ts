import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants, homedir, tmpdir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * A native addon carried inside the executable (a Node SEA asset). Its SHA-256 is computed by the
 * build, so a start that finds its cached copy never reads the embedded bytes: they stay
 * unmapped (about 2 MB less RSS) and the start skips hashing them.
 */
export interface EmbeddedAddon {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
  bytes(): Uint8Array;
}

/** An EmbeddedAddon from bytes at hand, hashing them unless the hash is given. */
export function embeddedAddon(name: string, bytes: Uint8Array, sha256?: string): EmbeddedAddon {
  return { name, sha256: sha256 ?? createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength, bytes: () => bytes };
}

/**
 * A native addon has to be a file before `process.dlopen` can load it. The file name holds the
 * Node ABI, platform and a content hash, so executables of different versions can share one cache
 * folder without loading each other's addon, and an unchanged addon is written once, not on every
 * start.
 */
export function addonFileName(addon: EmbeddedAddon): string {
  return `${addon.name}-abi${process.versions.modules}-${process.platform}-${process.arch}-${addon.sha256.slice(0, 16)}.node`;
}

/** Writes the addon into `dir` under its content-addressed name unless it is already there; returns the path. */
export function materializeAddon(dir: string, addon: EmbeddedAddon): string {
  const file = join(dir, addonFileName(addon));
  // A file under this name is only ever created by the rename below, so a complete one is the
  // right one; the size check replaces a file cut short by a full disk or a crash of the
  // filesystem. The folder is the user's own (mode 0700): whoever can write into it can already
  // change what the user runs, so reading back 2 MB on every start would protect nothing more.
  if (sizeOf(file) === addon.size) return file;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written beside the target, then renamed: a concurrent start never dlopens a half-written file.
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, addon.bytes(), { mode: 0o755 });
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  return file;
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}

/** Loads a native addon file the way `require` would, and returns its exports. */
export function dlopenAddon(file: string): unknown {
  const module = { exports: {} as unknown };
  process.dlopen(module, file, constants.dlopen.RTLD_NOW);
  return module.exports;
}

/** A loaded addon and the file it came from: another thread loads it from there. */
export interface LoadedAddon {
  exports: unknown;
  file: string;
}

/**
 * Tries each cache folder in turn (the first may be read-only or mounted noexec) and returns the
 * loaded addon; the error lists every folder tried.
 */
export function loadEmbeddedAddon(dirs: readonly string[], addon: EmbeddedAddon): LoadedAddon {
  const failures: string[] = [];
  for (const dir of dirs) {
    try {
      const file = materializeAddon(dir, addon);
      return { exports: dlopenAddon(file), file };
    } catch (error) {
      failures.push(`${dir}: ${(error as Error).message}`);
    }
  }
  throw new Error(`cannot load the ${addon.name} addon from any cache folder:\n  ${failures.join('\n  ')}`);
}

/**
 * Where the addon is written: $XDG_CACHE_HOME/cappulse, else ~/.cache/cappulse; a per-user
 * folder in the temp dir is the fallback for a home that is read-only or mounted noexec.
 */
export function addonCacheDirs(env: NodeJS.ProcessEnv): string[] {
  const xdg = env.XDG_CACHE_HOME;
  const home = env.HOME || safeHomedir();
  const primary = xdg && isAbsolute(xdg) ? join(xdg, 'cappulse') : home ? join(home, '.cache', 'cappulse') : undefined;
  const fallback = join(tmpdir(), `cappulse-${safeUid()}`);
  return primary ? [primary, fallback] : [fallback];
}

function safeHomedir(): string | undefined {
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}

function safeUid(): string {
  try {
    return String(userInfo().uid);
  } catch {
    return 'user';
  }
}
