// A thread's entry in a source checkout: a worker does not inherit the main thread's TypeScript
// loader, so it registers tsx itself, then imports the entry module it was given (its first
// argv, from start-worker.ts). The executable runs bundled copies instead.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
