import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // tfjs-core's Node entry registers no gradients, and its register_all_gradients module cannot
  // be imported by Node ESM (extensionless imports): bundle that one module (about 450 KB) while
  // tfjs-core itself stays external, so the engine and gradient registry are the installed one
  noExternal: [/register_all_gradients/],
});
