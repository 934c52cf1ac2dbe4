import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the generated package is type-checked, built and tested in a child process
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // CI adds a JSON report that .ci/summary.mjs adds up into one closing line
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
  },
});
