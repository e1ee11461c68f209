import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { parseConfigText } from '../src/config/load.ts';
import { ConfigError } from '../src/config/issues.ts';
import { cli } from './helpers/cli.ts';
import { tempDir } from './helpers/temp.ts';

const dir = tempDir();
after(() => dir.remove());

const provider = (extra: string) => `
providers:
  - slug: openai
    kind: openai
    base_url: https://api.openai.com/v1
${extra}`;

/** Each row: a broken config, and what the error must name (key path first, then the hint). */
const INVALID: Array<{ name: string; yaml: string; expect: RegExp[] }> = [
  { name: 'bad YAML reports line and column', yaml: 'server:\n  port: 8080\n   host: x\n', expect: [/line 2, column 9: invalid YAML: /] },
  { name: 'unknown top-level key', yaml: 'servr:\n  port: 1\n', expect: [/servr: unknown key/] },
  { name: 'unknown nested key', yaml: 'server:\n  prot: 1\n', expect: [/server\.prot: unknown key/] },
  {
    name: 'a retention shorter than the window that reads it',
    yaml: 'storage:\n  retention:\n    minute_rollups: 12h\n    hour_rollups: 7d\n',
    expect: [/storage\.retention\.minute_rollups: must be at least 25h/, /storage\.retention\.hour_rollups: must be at least 169h/],
  },
  {
    name: 'duplicate provider slug',
    yaml: `providers:\n  - {slug: a, kind: openai, base_url: "https://x.test/v1"}\n  - {slug: a, kind: openai, base_url: "https://y.test/v1"}\n`,
    expect: [/providers\[1\]\.slug: "a" is already used by providers\[0\]/],
  },
  {
    name: 'duplicate model slug within a provider',
    yaml: provider('    models:\n      - slug: m\n      - slug: m\n'),
    expect: [/providers\[0\]\.models\[1\]\.slug: "m" is already used/],
  },
  { name: 'invalid model slug', yaml: provider('    models:\n      - slug: GPT 4\n'), expect: [/providers\[0\]\.models\[0\]\.slug: "GPT 4" is not a valid slug \(lowercase letters, digits/] },
  { name: 'bad cron expression', yaml: 'defaults:\n  schedule: "every 5 minutes"\n', expect: [/defaults\.schedule: "every 5 minutes" is not a cron expression/] },
  { name: 'bad cron in a model', yaml: provider('    models:\n      - slug: m\n        schedule: "61 * * * *"\n'), expect: [/providers\[0\]\.models\[0\]\.schedule: .* is not a cron expression/] },
  { name: 'bad URL', yaml: 'providers:\n  - {slug: a, kind: openai, base_url: "not a url"}\n', expect: [/providers\[0\]\.base_url: "not a url" is not an http\(s\) URL/] },
  { name: 'non-http URL scheme', yaml: 'providers:\n  - {slug: a, kind: openai, base_url: "ftp://x.test"}\n', expect: [/providers\[0\]\.base_url: .* is not an http\(s\) URL/] },
  { name: 'unknown provider kind', yaml: 'providers:\n  - {slug: a, kind: cohere, base_url: "https://x.test"}\n', expect: [/providers\[0\]\.kind: "cohere" is not a provider kind \(one of openai, anthropic, gemini, http\)/] },
  { name: 'missing env var without default', yaml: provider('    api_key: ${CAPPULSE_TEST_SURELY_UNSET_VAR}\n    models: [{slug: m}]\n'), expect: [/providers\[0\]\.api_key: environment variable CAPPULSE_TEST_SURELY_UNSET_VAR is not set/] },
  { name: 'negative timeout', yaml: 'defaults:\n  timeouts:\n    connect: -5s\n', expect: [/defaults\.timeouts\.connect: "-5s" is not a duration/] },
  { name: 'port out of range', yaml: 'server:\n  port: 70000\n', expect: [/server\.port: must be between 0 and 65535/] },
  { name: 'port not a number', yaml: 'server:\n  port: eighty\n', expect: [/server\.port: must be a port number/] },
  { name: 'missing provider base_url', yaml: 'providers:\n  - {slug: a, kind: openai}\n', expect: [/providers\[0\]\.base_url: is required/] },
  { name: 'threshold ratio out of range', yaml: 'thresholds:\n  degraded_error_rate: 5\n', expect: [/thresholds\.degraded_error_rate: must be between 0 and 1/] },
  { name: 'bad webhook secret', yaml: 'webhooks:\n  endpoints:\n    - {url: "https://h.test/x", secret: "hunter2"}\n', expect: [/webhooks\.endpoints\[0\]\.secret: must look like whsec_/] },
  { name: 'unknown webhook event', yaml: 'webhooks:\n  endpoints:\n    - {url: "https://h.test/x", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", events: [incident.opened]}\n', expect: [/webhooks\.endpoints\[0\]\.events\[0\]: must be one of/] },
  { name: 'maintenance for an unknown provider', yaml: 'maintenance:\n  - {provider: nope, start: "2026-01-01T00:00:00Z", end: "2026-01-01T01:00:00Z"}\n', expect: [/maintenance\[0\]\.provider: "nope" is not a configured provider/] },
  { name: 'config that is not a mapping', yaml: '- just\n- a list\n', expect: [/\(root\): the config must be a YAML mapping/] },
  { name: 'duplicate YAML key', yaml: 'server:\n  port: 1\n  port: 2\n', expect: [/line 3/] },
];

describe('invalid configs fail with exit code 2 and name the key path', () => {
  for (const row of INVALID) {
    test(row.name, async () => {
      const file = dir.file(`${row.name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, row.yaml);
      const result = await cli('check', '--config', file);
      assert.equal(result.code, 2, `exit code for: ${row.name}\n${result.err}`);
      for (const pattern of row.expect) assert.match(result.err, pattern);
    });
  }
});

test('every problem is reported at once, not just the first', () => {
  const yaml = 'server:\n  port: 99999\n  prot: 1\ndefaults:\n  schedule: nope\nproviders:\n  - {slug: "Bad Slug", kind: x, base_url: y}\n';
  assert.throws(
    () => parseConfigText(yaml, 'multi.yaml', {}),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const paths = error.problems.map((p) => p.path).sort();
      assert.deepEqual(paths, ['defaults.schedule', 'providers[0].base_url', 'providers[0].kind', 'providers[0].slug', 'server.port', 'server.prot']);
      return true;
    },
  );
});

test('a valid config loads with every default filled in and frozen', () => {
  const config = parseConfigText(provider('    api_key: ${KEY:-sk-test}\n    models: [{slug: gpt-4o-mini}]\n'), 'ok.yaml', {});
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.server.port, 8080);
  assert.equal(config.storage.path, './cappulse.db');
  assert.equal(config.storage.retention.raw, '7d');
  assert.equal(config.defaults.timeouts.connect, '5s');
  assert.equal(config.defaults.timeouts.first_token, '30s');
  assert.equal(config.defaults.timeouts.total, '60s');
  assert.equal(config.thresholds.major_consecutive_failures, 3);
  assert.equal(config.api.rate_limit_per_minute, 120);
  assert.equal(config.providers[0]?.api_key, 'sk-test');
  assert.deepEqual(config.providers[0]?.headers, {});
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.providers[0]));
});

test('${VAR} takes the environment value, ${VAR:-default} falls back', () => {
  const yaml = provider('    api_key: ${OPENAI_KEY}\n    headers: {X-Team: "${TEAM:-core}"}\n    models: [{slug: m}]\n');
  const config = parseConfigText(yaml, 'env.yaml', { OPENAI_KEY: 'sk-live-123' });
  assert.equal(config.providers[0]?.api_key, 'sk-live-123');
  assert.equal(config.providers[0]?.headers['X-Team'], 'core');
});

test('the example config is valid', async () => {
  const result = await cli('check', '--config', 'config.example.yaml');
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /valid/);
});

test('check prints schedules in words and never the api key', async () => {
  const file = dir.file('summary.yaml');
  writeFileSync(file, provider('    api_key: sk-very-secret-value-42\n    schedule: "0 */5 * * * *"\n    models: [{slug: gpt-4o-mini}, {slug: o4, schedule: "*/30 * * * * *"}]\n'));
  const result = await cli('check', '--config', file);
  assert.equal(result.code, 0, result.err);
  assert.match(result.out, /gpt-4o-mini: every 5 minutes/);
  assert.match(result.out, /o4: every 30 seconds/);
  assert.doesNotMatch(result.out + result.err, /sk-very-secret-value-42/);
});

test('config schema prints a JSON Schema that describes the sections', async () => {
  const result = await cli('config', 'schema');
  assert.equal(result.code, 0);
  const schema = JSON.parse(result.out) as { properties: Record<string, unknown> };
  for (const section of ['server', 'storage', 'defaults', 'providers', 'thresholds', 'webhooks', 'api']) assert.ok(section in schema.properties, section);
});
