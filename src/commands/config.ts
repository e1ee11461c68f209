import { configJsonSchema } from '../config/schema.ts';
import { UsageError, type Command } from './command.ts';

export const configCommand: Command = {
  name: 'config',
  summary: 'Configuration helpers (config schema: print the JSON Schema)',
  help: `Usage: cappulse config schema

  schema   print the JSON Schema of the config file, for editor completion, e.g.
           cappulse config schema > cappulse.schema.json
           and put "# yaml-language-server: $schema=./cappulse.schema.json" on the config's first line`,
  options: {},
  positionals: true,
  async run(_values, positionals, io) {
    const [sub] = positionals;
    if (sub !== 'schema') throw new UsageError(sub ? `unknown subcommand "config ${sub}" (try: config schema)` : 'missing subcommand (try: config schema)');
    io.out(JSON.stringify(configJsonSchema(), null, 2));
    return 0;
  },
};
