import type { z } from 'zod';

/** A config problem at a key path, e.g. `providers[1].models[0].slug: … is not a valid slug`. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  readonly source: string;

  constructor(source: string, problems: ConfigProblem[]) {
    super(`${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

export function formatProblem(problem: ConfigProblem): string {
  return `  ${problem.path}: ${problem.message}`;
}

/** zod issues → problems, with unknown keys named one by one at their own path. */
export function problemsFromZod(error: z.ZodError): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: 'unknown key (check its spelling against docs/configuration.md)' });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) {
      message = issue.input === undefined ? `is required (${issue.expected})` : `must be ${issue.expected}, got ${JSON.stringify(issue.input)}`;
    } else if (issue.code === 'invalid_value' && message.startsWith('Invalid option')) {
      message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    }
    problems.push({ path: formatPath(issue.path), message });
  }
  return problems;
}
