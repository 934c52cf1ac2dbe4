export { fileCheckpoint, writeFileAtomic } from './file-checkpoint';
export { type ParallelChainsOptions, runChainsOnWorkers } from './parallel-chains';
