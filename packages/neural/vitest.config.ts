import { latticeDiffTestConfig } from '@latticediff/test-kit/vitest';

export default latticeDiffTestConfig();
