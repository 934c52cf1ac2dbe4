export { AtomicFileWriter, removeStaleTemporaries, writeFileAtomic } from './atomic-file';
export { fileCheckpoint } from './file-checkpoint';
export {
  type ChainsOnWorkersOptions,
  chainsOnWorkers,
  type ParallelChainsOptions,
  runChainsOnWorkers,
} from './parallel-chains';
