import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // packing, npm installs and child processes: generous limits, and one file at a time so the
    // pack-and-install test has both cores
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // CI adds a JSON report that .ci/summary.mjs adds up into one closing line
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
  },
});
