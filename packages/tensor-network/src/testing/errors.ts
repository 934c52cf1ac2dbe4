/** Test helper: the InvalidArgumentError a call throws (the workspace's one copy, in the test-kit). */
export { invalidArgumentOf } from '@latticediff/test-kit/testing';
