import { createApp } from '../app.ts';
import { ConfigError } from '../config/issues.ts';
import type { Config } from '../config/schema.ts';
import { startDemoProvider } from '../demo/demo-provider.ts';
import { withDemoProvider } from '../demo/demo-config.ts';
import { EXIT, type Command } from './command.ts';
import { CONFIG_OPTIONS, configSource, parsePort } from './config-source.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Probe the configured providers and serve the API and dashboard',
  help: `Usage: cappulse serve [--config FILE] [--db FILE] [--host HOST] [--port PORT] [--demo]

Starts probing on the configured schedules and serves the API, dashboard, /metrics and /healthz.
Without --config, ./cappulse.yaml is used, or the embedded example config when there is none.

Options:
  -c, --config FILE   config file (YAML)
      --db FILE       SQLite file (overrides storage.path)
      --host HOST     address to listen on (overrides server.host)
      --port PORT     port to listen on, 0 for any free port (overrides server.port)
      --demo          also start a local demo provider (OpenAI-compatible, no key needed, with
                      scripted trouble) and probe it every 5 s: live data within a minute

Signals: SIGINT/SIGTERM stop cleanly (exit 0); SIGHUP re-reads the config file.`,
  options: { ...CONFIG_OPTIONS, host: { type: 'string' }, port: { type: 'string' }, demo: { type: 'boolean' } },
  async run(values, _positionals, io, runtime) {
    const source = configSource(values, { host: values.host as string | undefined, port: parsePort(values.port) });
    // The demo provider lives in this process on a loopback port; every (re)load adds it back.
    const demo = values.demo ? await startDemoProvider() : undefined;
    const withDemo = (loaded: Config) => (demo ? withDemoProvider(loaded, demo.baseUrl) : loaded);
    let config: Config;
    try {
      config = withDemo(source.load());
    } catch (error) {
      await demo?.close();
      throw error;
    }
    const app = await createApp(config, { nativeBinding: runtime?.nativeBinding, nativeBindingFile: runtime?.nativeBindingFile });
    const log = app.logger.child('serve');
    if (source.path === undefined) log.info('using_embedded_example_config', { hint: 'cappulse init writes it to cappulse.yaml for editing' });
    try {
      await app.start();
    } catch (error) {
      await app.stop().catch(() => undefined);
      await demo?.close();
      throw error;
    }

    let stopping = false;
    const done = new Promise<number>((resolve) => {
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info('signal', { signal });
        app
          .stop()
          .then(() => demo?.close())
          .then(
            () => resolve(EXIT.ok),
            (error) => {
              log.error('stop_failed', { error });
              resolve(EXIT.failed);
            },
          );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });

    process.on('SIGHUP', () => {
      if (source.path === undefined) {
        log.warn('reload_skipped', { reason: 'running on the embedded example config; there is no file to re-read' });
        return;
      }
      let next;
      try {
        next = withDemo(source.load());
      } catch (error) {
        const problems = error instanceof ConfigError ? error.problems.map((p) => `${p.path}: ${p.message}`) : [(error as Error).message];
        log.error('reload_rejected', { file: source.path, problems: problems.length, kept: 'running config' });
        for (const problem of problems) log.error('reload_problem', { problem });
        return;
      }
      app.reload(next).catch((error) => log.error('reload_failed', { error }));
    });

    if (demo) log.info('demo_provider_started', { url: demo.baseUrl, provider: 'demo', models: config.providers.at(-1)?.models.length });
    io.out(`CapPulse is running at ${app.url()} (Ctrl-C to stop)`);
    return done;
  },
};
