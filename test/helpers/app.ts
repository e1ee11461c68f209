import { createApp, type AppDeps, type CapPulseApp } from '../../src/app.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Config, ConfigInput } from '../../src/config/schema.ts';
import { createMemoryLogger } from '../../src/lib/logger.ts';
import { tempDir } from './temp.ts';

export interface TestApp {
  app: CapPulseApp;
  url: string;
  config: Config;
  logs: string[];
  dbPath: string;
  stop(): Promise<void>;
}

/**
 * The real app on port 0 with a real SQLite file in a temp folder. `config` is merged over a
 * minimal base; pass `clock` and other edges through `deps`.
 */
export async function startTestApp(config: ConfigInput = {}, deps: AppDeps = {}, env: Record<string, string> = {}): Promise<TestApp> {
  const dir = tempDir();
  const dbPath = dir.file('cappulse.db');
  const full = validateConfig(
    { ...config, server: { port: 0, ...config.server }, storage: { path: dbPath, ...config.storage } },
    'test config',
    env,
  );
  const logger = deps.logger ?? createMemoryLogger();
  const app = await createApp(full, { ...deps, logger });
  await app.start();
  return {
    app,
    url: app.url(),
    config: full,
    logs: (logger as { lines?: string[] }).lines ?? [],
    dbPath,
    async stop() {
      await app.stop();
      dir.remove();
    },
  };
}
