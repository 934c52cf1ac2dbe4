export { fileCheckpoint, writeFileAtomic } from './file-checkpoint';
