import { defineConfig } from 'tsup';

export default defineConfig({
  // Two entries: the contract (`.`) and the conformance kit (`./testing`, which imports vitest).
  entry: { index: 'src/index.ts', testing: 'src/testing.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
