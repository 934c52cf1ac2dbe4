import { latticeDiffTestConfig } from '@latticediff/test-kit/vitest';

// the cluster tier: `pnpm test:cluster` (a single-node SLURM cluster; not part of `pnpm test`)
export default latticeDiffTestConfig({
  include: ['src/**/*.cluster-test.ts'],
  report: 'vitest-cluster.json',
});
