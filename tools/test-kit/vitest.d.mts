import type { UserConfig } from 'vitest/config';

/** Milliseconds after which a single test or hook is taken to be hung (10 minutes). */
export declare const HANG_GUARD_MS: number;

/** Options of {@link latticeDiffTestConfig}. */
export interface LatticeDiffTestConfigOptions {
  /** Test file globs (default `['src/**\/*.test.ts']`). */
  include?: string[];
  /** `false` runs the files one after the other (browser and npm-install tests). */
  fileParallelism?: boolean;
  /** Name of the CI JSON report under test-results/ (default `vitest.json`; another tier's own). */
  report?: string;
}

/** A vitest config with the workspace's defaults: hang guards only, and the CI JSON report. */
export declare function latticeDiffTestConfig(options?: LatticeDiffTestConfigOptions): UserConfig;
