import { parseArgs } from 'node:util';
import { ConfigError } from './config/issues.ts';
import { EXIT, processIo, UsageError, type CliRuntime, type Command, type Io } from './commands/command.ts';
import { checkCommand } from './commands/check.ts';
import { configCommand } from './commands/config.ts';
import { demoProviderCommand } from './commands/demo-provider.ts';
import { initCommand } from './commands/init.ts';
import { keysCommand } from './commands/keys.ts';
import { probeCommand } from './commands/probe.ts';
import { rollupsCommand } from './commands/rollups.ts';
import { serveCommand } from './commands/serve.ts';
import { versionCommand } from './commands/version.ts';
import { webhooksCommand } from './commands/webhooks.ts';
import { isAppError } from './lib/errors.ts';

/** argv → command. No logic of its own beyond parsing and turning errors into exit codes. */
export const COMMANDS: readonly Command[] = [serveCommand, probeCommand, checkCommand, initCommand, keysCommand, webhooksCommand, rollupsCommand, configCommand, demoProviderCommand, versionCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'CapPulse: probes your AI model providers and tells you, with numbers, when one gets slow, fails or throttles.',
    '',
    'Usage: cappulse <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  Show help for a command (cappulse help serve)`,
    '',
    'Every command takes --help.',
  ].join('\n');
}

export async function runCli(argv: string[], io: Io = processIo, runtime: CliRuntime = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') return versionCommand.run({}, [], io, runtime);
  if (name === 'help') {
    const target = COMMANDS.find((c) => c.name === rest[0]);
    io.out(target ? target.help : overview());
    return rest[0] === undefined || target ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`cappulse: unknown command "${name}"\n\n${overview()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return EXIT.ok;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: command.positionals ?? false, strict: true });
    return await command.run(values, positionals, io, runtime);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`cappulse ${name}: invalid config ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`cappulse ${name}: ${(error as Error).message}\n\n${command.help}`);
      return EXIT.usage;
    }
    if (isAppError(error)) {
      io.err(`cappulse ${name}: ${error.message}`);
      return EXIT.failed;
    }
    io.err(`cappulse ${name}: unexpected error: ${(error as Error).message}`);
    return EXIT.failed;
  }
}

const isMain = process.argv[1] !== undefined && /cli\.(ts|js|cjs|mjs)$/.test(process.argv[1]);
if (isMain) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
