import { resolveTargets } from '../config/targets.ts';
import { describeSchedule } from '../lib/schedule-words.ts';
import type { Command } from './command.ts';
import { CONFIG_OPTIONS, configSource } from './config-source.ts';

export const checkCommand: Command = {
  name: 'check',
  summary: 'Validate a config file and print what it will do',
  help: `Usage: cappulse check [--config FILE] [--json]

Validates the config (every problem is listed with its key path; exit 2 if any), then prints the
providers, models, schedules in words and webhooks. Secrets are never printed.
  -c, --config FILE   config file (default ./cappulse.yaml, else the embedded example)
      --json          print the summary as JSON`,
  options: { ...CONFIG_OPTIONS, json: { type: 'boolean' } },
  async run(values, _positionals, io) {
    const source = configSource(values);
    const config = source.load();
    const targets = resolveTargets(config);
    const summary = {
      file: source.path ?? 'config.example.yaml (embedded)',
      server: `${config.server.host}:${config.server.port}`,
      database: config.storage.path,
      providers: config.providers.map((provider) => ({
        slug: provider.slug,
        kind: provider.kind,
        base_url: new URL(provider.base_url).origin + new URL(provider.base_url).pathname,
        api_key: provider.api_key ? 'set' : 'none',
        models: targets
          .filter((t) => t.providerSlug === provider.slug)
          .map((t) => ({ slug: t.modelSlug, id: t.providerModelId, schedule: t.schedule, every: describeSchedule(t.schedule) })),
      })),
      webhooks: config.webhooks.endpoints.map((endpoint) => ({ url: endpoint.url, events: endpoint.events })),
      maintenance: config.maintenance.length,
    };
    if (values.json) {
      io.out(JSON.stringify(summary, null, 2));
      return 0;
    }
    const lines = [`${summary.file}: valid`, `  server    http://${summary.server}`, `  database  ${summary.database}`];
    lines.push(`  providers ${summary.providers.length}, models ${targets.length}`);
    for (const provider of summary.providers) {
      lines.push(`    ${provider.slug} (${provider.kind}) ${provider.base_url}  api key: ${provider.api_key}`);
      for (const model of provider.models) lines.push(`      - ${model.slug}${model.id !== model.slug ? ` (id ${model.id})` : ''}: ${model.every}`);
    }
    lines.push(`  webhooks  ${summary.webhooks.length}`);
    for (const hook of summary.webhooks) lines.push(`    ${hook.url}  events: ${hook.events.join(', ')}`);
    if (summary.maintenance > 0) lines.push(`  maintenance windows ${summary.maintenance}`);
    io.out(lines.join('\n'));
    return 0;
  },
};
