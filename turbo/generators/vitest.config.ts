import { latticeDiffTestConfig } from '@latticediff/test-kit/vitest';

// the generated package is type-checked, built and tested in a child process
export default latticeDiffTestConfig({ include: ['test/**/*.test.ts'] });
