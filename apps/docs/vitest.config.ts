import { latticeDiffTestConfig } from '@latticediff/test-kit/vitest';

// one browser: the test files one after the other (2 cores)
export default latticeDiffTestConfig({ include: ['test/**/*.test.ts'], fileParallelism: false });
