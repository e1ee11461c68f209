import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Exit codes: 0 fine, 1 the command failed at run time, 2 bad usage or bad config. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/**
 * What the process running the CLI hands to every command. The standalone executable loads the
 * SQLite addon from its own blob, so a command that opens a database must pass `nativeBinding`
 * on to createApp / openDatabase (undefined from a source checkout: node_modules has it).
 */
export interface CliRuntime {
  nativeBinding?: unknown;
  /** The file `nativeBinding` was loaded from: a thread that opens the database loads it too. */
  nativeBindingFile?: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage lines and option descriptions shown by --help. */
  help: string;
  options: OptionSpec;
  /** Whether positional arguments are accepted. */
  positionals?: boolean;
  run(values: ParsedValues, positionals: string[], io: Io, runtime?: CliRuntime): Promise<number>;
}

export class UsageError extends Error {}
