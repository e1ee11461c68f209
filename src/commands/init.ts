import { existsSync, writeFileSync } from 'node:fs';
import { exampleConfigText } from '../config/example.ts';
import { EXIT, type Command } from './command.ts';
import { DEFAULT_CONFIG_FILE } from './config-source.ts';

export const initCommand: Command = {
  name: 'init',
  summary: 'Write the example config to ./cappulse.yaml',
  help: `Usage: cappulse init [--file FILE] [--force]

Writes the example configuration (commented, every section) for you to edit.
  --file FILE   where to write it (default ${DEFAULT_CONFIG_FILE})
  --force       overwrite an existing file`,
  options: { file: { type: 'string' }, force: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const file = (values.file as string | undefined) ?? DEFAULT_CONFIG_FILE;
    if (existsSync(file) && !values.force) {
      io.err(`${file} already exists; pass --force to overwrite it`);
      return EXIT.usage;
    }
    writeFileSync(file, exampleConfigText());
    io.out(`wrote ${file}; check it with: cappulse check --config ${file}`);
    return EXIT.ok;
  },
};
