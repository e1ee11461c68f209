// The timing thread's entry in a source checkout: a worker does not inherit the main thread's
// TypeScript loader, so it registers tsx itself. The executable runs a bundled copy instead
// (worker-source.ts).
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
