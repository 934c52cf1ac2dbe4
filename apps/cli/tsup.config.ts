import { defineConfig } from 'tsup';

export default defineConfig({
  // exact-worker: the thread that computes exact references while the progress line moves;
  // train-worker: the thread that runs train's rounds while the main thread watches for signals
  entry: {
    cli: 'src/cli.ts',
    'exact-worker': 'src/exact-worker.ts',
    'train-worker': 'src/train-worker.ts',
  },
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
});
