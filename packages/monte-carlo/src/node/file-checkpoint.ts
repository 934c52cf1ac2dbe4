/**
 * Node-only: a checkpoint store in a file, written atomically (a temporary file in the same
 * directory, flushed to disk, then renamed over the target), so a run killed at any moment
 * leaves either the previous checkpoint or the new one, never a half-written file.
 * Entry `@latticediff/monte-carlo/node`.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CheckpointStore } from '../learning-loop';

/** Writes `text` to `path` atomically. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'w');
  try {
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    // a failed write (disk full, I/O error) or rename leaves neither a partial file nor a temporary
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Flushes a directory entry (the rename) to disk where the platform allows it (best effort). */
async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // not supported everywhere (Windows, some file systems): the rename itself is still atomic
  } finally {
    await handle?.close().catch(() => {});
  }
}

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
