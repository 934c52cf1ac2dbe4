// The vitest preset every package of the workspace uses (and the lattice-model template).
//
// Test verdicts must not depend on how busy the machine is: `pnpm test` runs on 2-core CI and on
// laptops doing other work. So no limit here is a speed check. `testTimeout` and `hookTimeout`
// are hang guards only: far above what any test takes on a loaded machine (the slowest, the
// generator's scaffold-build-test, takes about 35 s under turbo on 2 cores), so they end a run
// that is stuck and never fail one that is slow. Speed is measured by `pnpm bench`, not by tests.
import { defineConfig } from 'vitest/config';

/** Milliseconds after which a single test or hook is taken to be hung (10 minutes). */
export const HANG_GUARD_MS = 600_000;

/**
 * A vitest config with the workspace's defaults.
 * @param {{ include?: string[], fileParallelism?: boolean, report?: string }} [options]
 *   `report`: the name of the CI JSON report under test-results/ (default vitest.json)
 */
export function latticeDiffTestConfig(options = {}) {
  return defineConfig({
    test: {
      include: options.include ?? ['src/**/*.test.ts'],
      testTimeout: HANG_GUARD_MS,
      hookTimeout: HANG_GUARD_MS,
      ...(options.fileParallelism === undefined
        ? {}
        : { fileParallelism: options.fileParallelism }),
      // CI adds a JSON report that .ci/summary.mjs adds up into one closing line
      reporters: process.env.CI
        ? ['default', ['json', { outputFile: `test-results/${options.report ?? 'vitest.json'}` }]]
        : ['default'],
    },
  });
}
