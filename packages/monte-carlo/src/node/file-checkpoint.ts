/**
 * Node-only: a checkpoint store in a file, written by {@link writeFileAtomic}, so a run killed at
 * any moment leaves either the previous checkpoint or the new one, never a half-written file.
 * Entry `@latticediff/monte-carlo/node`.
 */
import { readFile } from 'node:fs/promises';
import type { CheckpointStore } from '../learning-loop';
import { writeFileAtomic } from './atomic-file';

/** A {@link CheckpointStore} backed by one file; `load` returns undefined when it does not exist. */
export function fileCheckpoint(path: string): CheckpointStore {
  return {
    save: (text) => writeFileAtomic(path, text),
    load: async () => {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
  };
}
