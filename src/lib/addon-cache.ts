import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants, homedir, tmpdir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * A native addon carried as bytes (a Node SEA asset) has to be a file before `process.dlopen` can
 * load it. The file name holds the Node ABI, platform and a content hash, so executables of
 * different versions can share one cache folder without loading each other's addon, and an
 * unchanged addon is written once, not on every start.
 */
export function addonFileName(name: string, bytes: Uint8Array): string {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return `${name}-abi${process.versions.modules}-${process.platform}-${process.arch}-${hash}.node`;
}

/** Writes `bytes` into `dir` under its content-addressed name unless an identical file is there; returns the path. */
export function materializeAddon(dir: string, name: string, bytes: Uint8Array): string {
  const file = join(dir, addonFileName(name, bytes));
  // Compared byte for byte, not trusted by name: a truncated or tampered file is replaced, never loaded.
  if (sameContent(file, bytes)) return file;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Written beside the target, then renamed: a concurrent start never dlopens a half-written file.
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, bytes, { mode: 0o755 });
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
  return file;
}

function sameContent(file: string, bytes: Uint8Array): boolean {
  try {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(readFileSync(file));
  } catch {
    return false;
  }
}

/** Loads a native addon file the way `require` would, and returns its exports. */
export function dlopenAddon(file: string): unknown {
  const module = { exports: {} as unknown };
  process.dlopen(module, file, constants.dlopen.RTLD_NOW);
  return module.exports;
}

/**
 * Tries each cache folder in turn (the first may be read-only or mounted noexec) and returns the
 * loaded addon; the error lists every folder tried.
 */
export function loadAddonFromBytes(dirs: readonly string[], name: string, bytes: Uint8Array): unknown {
  const failures: string[] = [];
  for (const dir of dirs) {
    try {
      return dlopenAddon(materializeAddon(dir, name, bytes));
    } catch (error) {
      failures.push(`${dir}: ${(error as Error).message}`);
    }
  }
  throw new Error(`cannot load the ${name} addon from any cache folder:\n  ${failures.join('\n  ')}`);
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
