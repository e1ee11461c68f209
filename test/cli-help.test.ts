import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { COMMANDS } from '../src/cli.ts';
import { VERSION } from '../src/version.ts';
import { cli } from './helpers/cli.ts';

test('every command answers --help with its usage and exit 0', async () => {
  assert.ok(COMMANDS.length >= 5);
  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const result = await cli(command.name, flag);
      assert.equal(result.code, 0, `${command.name} ${flag}`);
      assert.match(result.out, new RegExp(`Usage: cappulse ${command.name}`), command.name);
    }
    const viaHelp = await cli('help', command.name);
    assert.equal(viaHelp.out, (await cli(command.name, '--help')).out);
  }
});

test('the overview lists every command; an unknown command or option is a usage error (exit 2)', async () => {
  const overview = await cli('--help');
  assert.equal(overview.code, 0);
  for (const command of COMMANDS) assert.match(overview.out, new RegExp(`\\n  ${command.name} `));
  const unknown = await cli('frobnicate');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "frobnicate"/);
  const badOption = await cli('check', '--no-such-option');
  assert.equal(badOption.code, 2);
  assert.match(badOption.err, /no-such-option/);
  assert.equal((await cli()).code, 2);
});

test('version prints the package version, Node and SQLite', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
  const result = await cli('version', '--json');
  const info = JSON.parse(result.out) as { cappulse: string; node: string; sqlite: string };
  assert.equal(info.cappulse, pkg.version);
  assert.equal(info.node, process.versions.node);
  assert.match(info.sqlite, /^3\.\d+/);
});
