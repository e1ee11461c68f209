import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/cappulse.js', import.meta.url));

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends a signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Runs `cappulse …` as a real child process and collects stdout and stderr together. */
export function runCappulse(args: string[], options: { cwd: string; env?: Record<string, string> }): { child: ChildProcess; output(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Starts `cappulse serve …` and waits until it prints the URL it listens on. */
export async function startServe(args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<ServeProcess> {
  const run = runCappulse(['serve', ...args], options);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${run.output()}`)), options.timeoutMs ?? 30_000);
    const check = () => {
      const match = /running at (http:\/\/\S+)/.exec(run.output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    run.child.stdout!.on('data', check);
    run.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${run.output()}`));
    });
  });
  return {
    child: run.child,
    url,
    output: run.output,
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      run.child.kill(signal);
      const code = await run.exited;
      return { code, ms: Date.now() - started };
    },
  };
}
