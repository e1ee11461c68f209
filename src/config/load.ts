import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, formatPath, problemsFromZod, type ConfigProblem } from './issues.ts';
import { configSchema, type Config } from './schema.ts';
import { deepFreeze } from '../lib/freeze.ts';

/**
 * Reads a config: YAML → `${VAR}` / `${VAR:-default}` interpolation → validation → defaults →
 * deep freeze. The only module that reads `process.env`; every problem is collected and reported
 * at once, each at its key path.
 */
export type Env = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(value: unknown, env: Env, path: PropertyKey[], problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push({ path: formatPath(path), message: `environment variable ${name} is not set (export it, or write \${${name}:-default})` });
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, [...path, index], problems));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = interpolate(item, env, [...path, key], problems);
    return out;
  }
  return value;
}


export function parseConfigText(text: string, source: string, env: Env = process.env): Config {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      // One syntax error sets off a cascade of follow-on errors; the first few are the useful ones.
      document.errors.slice(0, 3).map((error) => {
        const pos = error.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}` : 'YAML';
        const message = (error.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, '');
        return { path: where, message: `invalid YAML: ${message}` };
      }),
    );
  }
  const raw = document.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, [{ path: '(root)', message: 'the config must be a YAML mapping (key: value pairs)' }]);
  }
  return validateConfig(raw, source, env);
}

export function validateConfig(raw: unknown, source = 'config', env: Env = process.env): Config {
  const problems: ConfigProblem[] = [];
  const interpolated = interpolate(raw, env, [], problems);
  const result = configSchema.safeParse(interpolated);
  if (!result.success) problems.push(...problemsFromZod(result.error));
  if (problems.length > 0 || !result.success) throw new ConfigError(source, problems);
  return deepFreeze(result.data);
}

export function loadConfigFile(path: string, env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found (create one with `cappulse init`, or pass --config FILE)' : `cannot read file (${code ?? 'error'})`;
    throw new ConfigError(path, [{ path: '(file)', message: why }]);
  }
  return parseConfigText(text, path, env);
}
