// Worker entry of the local / Wolff baselines: Node 20 workers do not inherit the main thread's
// TypeScript loader, so register tsx here and then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./baseline-worker.ts');
