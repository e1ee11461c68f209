import { startDemoProvider } from '../demo/demo-provider.ts';
import { DEMO_MODELS } from '../demo/trouble-script.ts';
import { EXIT, type Command } from './command.ts';
import { parsePort } from './config-source.ts';

export const demoProviderCommand: Command = {
  name: 'demo-provider',
  summary: 'Run a local OpenAI-compatible demo provider with realistic latency and scripted trouble',
  help: `Usage: cappulse demo-provider [--port PORT]

Serves POST /v1/chat/completions (streamed or not) and GET /v1/models on 127.0.0.1, accepting any
key: log-normal time to first token, rate-limit headers that count down each minute, and a
six-minute script that repeats: a latency spike, a burst of 5xx errors, a run of 429s.
\`cappulse serve --demo\` starts the same server in-process and probes it for you.

Options:
      --port PORT     port to listen on (default 8787; 0 for any free port)`,
  options: { port: { type: 'string' } },
  async run(values, _positionals, io) {
    const demo = await startDemoProvider({ port: parsePort(values.port) ?? 8787 });
    io.out(
      [
        `Demo provider listening at ${demo.baseUrl} (Ctrl-C to stop)`,
        '',
        'Probe it from a config like this:',
        '  providers:',
        '    - slug: demo',
        '      kind: openai',
        `      base_url: ${demo.baseUrl}`,
        '      models:',
        ...DEMO_MODELS.map((model) => `        - slug: ${model.id}`),
      ].join('\n'),
    );
    return new Promise<number>((resolve) => {
      const stop = () => demo.close().then(() => resolve(EXIT.ok));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
