import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXECUTABLE = join(ROOT, 'dist', 'cappulse');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node scripts/build.mjs`, which rebuilds only when the sources changed since the last
 * build (it hashes src/, the lockfile and the build scripts). Its progress goes to stderr so a
 * first build in CI (minutes: download Node 24, compile SQLite) shows what it is doing.
 */
export function buildExecutable(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const relay = (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`build exited ${code}:\n${output.slice(-4000)}`))));
  });
}

/** An empty temp folder holding nothing but a copy of the executable. */
export function isolatedCopy(): { dir: string; remove(): void } {
  const dir = tempDir('cappulse-exe-');
  copyFileSync(EXECUTABLE, dir.file('cappulse'));
  return { dir: dir.path, remove: dir.remove };
}

/** `env -i HOME=<dir> PATH=/usr/bin:/bin ./cappulse …` in `dir`: no Node, no node_modules, nothing inherited. */
function spawnIsolated(dir: string, args: string[]): ChildProcess {
  return spawn('/usr/bin/env', ['-i', `HOME=${dir}`, 'PATH=/usr/bin:/bin', './cappulse', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function runIsolated(dir: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnIsolated(dir, args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cappulse ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningServer {
  url: string;
  output(): string;
  /** SIGTERM, then the exit code once it has stopped. */
  stop(): Promise<number | null>;
}

/** Starts a long-running command (serve) and waits for its "running at <url>" line. */
export function startIsolated(dir: string, args: string[], timeoutMs = 30_000): Promise<RunningServer> {
  const child = spawnIsolated(dir, args);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(kill);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`cappulse ${args.join(' ')} printed no URL in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /running at (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, output: () => output, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cappulse ${args.join(' ')} exited ${code} before serving:\n${output}`));
    });
  });
}
