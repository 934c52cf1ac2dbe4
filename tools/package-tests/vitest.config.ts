import { latticeDiffTestConfig } from '@latticediff/test-kit/vitest';

// packing, npm installs and child processes: one file at a time so the pack-and-install test has
// both cores
export default latticeDiffTestConfig({ fileParallelism: false });
