#!/usr/bin/env node
// Runs CapPulse from a source checkout (TypeScript through tsx). The standalone executable
// (`npm run build`) does not need this file.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
process.exit(await runCli(process.argv.slice(2)));
