import { configJsonSchema } from './schema.ts';

/**
 * docs/configuration.md is rendered from the schema itself (descriptions, types, defaults), so
 * the reference cannot fall behind the code; a test fails when the committed file differs.
 * Regenerate with `node --import tsx scripts/gen-config-docs.ts`.
 */
type Schema = {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  additionalProperties?: Schema | boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  format?: string;
};

const EXAMPLES: Record<string, string> = {
  server: 'server:\n  host: 127.0.0.1\n  port: 8080\n  log_format: json',
  storage: 'storage:\n  path: /var/lib/cappulse/cappulse.db\n  retention:\n    raw: 14d',
  defaults: 'defaults:\n  schedule: "0 * * * * *"   # every minute, at second 0\n  timeouts: {connect: 5s, first_token: 20s, total: 45s}',
  providers:
    'providers:\n  - slug: openai\n    kind: openai\n    base_url: https://api.openai.com/v1\n    api_key: ${OPENAI_API_KEY}\n    models:\n      - slug: gpt-4o-mini\n      - slug: o4-mini\n        reasoning: true\n  - slug: azure\n    kind: openai\n    base_url: https://my-resource.openai.azure.com/openai/deployments/gpt4o\n    headers: {api-key: "${AZURE_OPENAI_KEY}"}\n    models: [{slug: gpt-4o}]',
  thresholds: 'thresholds:\n  latency_p95_ms: 4000\n  major_consecutive_failures: 5',
  maintenance: 'maintenance:\n  - provider: openai\n    cron: "0 3 * * 0"\n    duration: 1h\n  - provider: anthropic\n    models: [claude-haiku-4-5]\n    start: 2026-12-01T02:00:00Z\n    end: 2026-12-01T04:00:00Z',
  webhooks: 'webhooks:\n  allow_private: true        # internal alerting on a private address\n  endpoints:\n    - url: https://alerts.example.com/cappulse\n      secret: ${CAPPULSE_WEBHOOK_SECRET}\n      events: [incident.created, incident.updated]',
  api: 'api:\n  rate_limit_per_minute: 60\n  monthly_quota: 50000',
};

function typeOf(schema: Schema): string {
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' \\| ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  if (schema.type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object') return 'map of string';
  if (schema.format) return `${schema.format === 'uri' ? 'URL' : schema.format}`;
  return Array.isArray(schema.type) ? schema.type.join(' \\| ') : (schema.type ?? 'any');
}

function defaultOf(schema: Schema): string {
  if (schema.default === undefined) return '';
  if (typeof schema.default === 'object' && schema.default !== null && !Array.isArray(schema.default)) return '';
  return `\`${JSON.stringify(schema.default)}\``;
}

function rows(schema: Schema, prefix: string, out: string[]): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${key}`;
    const description = (child.description ?? '').replace(/\|/g, '\\|');
    const nested = child.properties ? child : child.type === 'array' && child.items?.properties ? child.items : undefined;
    out.push(`| \`${path}\` | ${typeOf(child)} | ${defaultOf(child)} | ${description} |`);
    if (nested) rows(nested, child.type === 'array' ? `${path}[].` : `${path}.`, out);
  }
}

export function renderConfigDocs(): string {
  const schema = configJsonSchema() as Schema;
  const out = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by scripts/gen-config-docs.ts; a test keeps it in step. -->',
    '',
    'CapPulse reads one YAML file: `--config FILE`, else `./cappulse.yaml`, else the embedded example',
    '(`cappulse init` writes it out for editing). `cappulse check` validates a file and lists every problem',
    'with its key path; `cappulse config schema` prints the JSON Schema for editor completion.',
    '',
    'Secrets: write `${VAR}` (required) or `${VAR:-default}` anywhere a string goes; the value comes from the',
    'environment when the file is read, and CapPulse never prints or stores provider keys or webhook secrets.',
    'Durations are a number and a unit: `250ms`, `30s`, `15m`, `2h`, `7d`. Schedules are cron expressions',
    '(croner; 6 fields put seconds first: `*/30 * * * * *` is every 30 seconds). `serve` re-reads the file on',
    'SIGHUP; an invalid file is rejected and the running config kept.',
    '',
  ];
  for (const [section, child] of Object.entries(schema.properties ?? {})) {
    out.push(`## \`${section}\``, '');
    if (child.description) out.push(child.description, '');
    out.push('| key | type | default | meaning |', '| --- | --- | --- | --- |');
    const body: string[] = [];
    const target = child.type === 'array' && child.items ? child.items : child;
    if (target.properties) rows(target, child.type === 'array' ? `${section}[].` : `${section}.`, body);
    else body.push(`| \`${section}\` | ${typeOf(child)} | ${defaultOf(child)} | |`);
    out.push(...body, '');
    const example = EXAMPLES[section];
    if (example) out.push('Example:', '', '```yaml', example, '```', '');
  }
  out.push('Per provider and per model, `thresholds` takes any key of the top-level `thresholds` section and overrides it there.', '');
  return out.join('\n');
}
