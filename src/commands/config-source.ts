import { existsSync } from 'node:fs';
import { exampleConfigText } from '../config/example.ts';
import { loadConfigFile, parseConfigText } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { UsageError, type ParsedValues } from './command.ts';
import { deepFreeze } from '../lib/freeze.ts';

export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  db: { type: 'string' },
} as const;

export const DEFAULT_CONFIG_FILE = 'cappulse.yaml';

export interface ConfigSource {
  /** A file to re-read on reload, or undefined for the embedded example. */
  path: string | undefined;
  load(): Config;
}

/**
 * --config FILE, else ./cappulse.yaml, else the embedded example: a first run needs no file.
 * Command-line flags then override the file.
 */
export function configSource(values: ParsedValues, flags: { host?: string; port?: number } = {}): ConfigSource {
  const explicit = values.config as string | undefined;
  const path = explicit ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const db = values.db as string | undefined;
  return {
    path,
    load() {
      const base = path === undefined ? parseConfigText(exampleConfigText(), 'config.example.yaml (embedded)') : loadConfigFile(path);
      return withOverrides(base, { db, ...flags });
    },
  };
}

export function withOverrides(config: Config, overrides: { db?: string | undefined; host?: string | undefined; port?: number | undefined }): Config {
  if (overrides.db === undefined && overrides.host === undefined && overrides.port === undefined) return config;
  const copy = structuredClone(config) as Config;
  if (overrides.db !== undefined) copy.storage.path = overrides.db;
  if (overrides.host !== undefined) copy.server.host = overrides.host;
  if (overrides.port !== undefined) copy.server.port = overrides.port;
  return deepFreeze(copy);
}


export function parsePort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: ${JSON.stringify(value)} is not a port (a whole number from 0 to 65535)`);
  return port;
}
