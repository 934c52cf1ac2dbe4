/**
 * Node-only: the one atomic file writer of latticediff. Text goes to a temporary file in the
 * target's directory (`.<name>.<random>.tmp`), is flushed to disk, renamed over the target, and
 * the directory is then flushed too (best effort) so that the rename itself is on disk. A run
 * killed at any moment leaves the previous file or the new one, never a half-written file; a
 * failed write (disk full, I/O error) removes its temporary and rethrows. Killed runs may leave
 * temporaries, which {@link removeStaleTemporaries} clears. Entry `@latticediff/monte-carlo/node`.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Flushes a directory entry (a rename) to disk where the platform allows it (best effort). */
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

function syncDirectorySync(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // as above: best effort
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // nothing left to do
      }
    }
  }
}

/** Writes `text` to `path` atomically (see the module comment). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = temporaryPath(path);
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
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * A file written in pieces and published atomically, for outputs larger than one JavaScript
 * string: `write` appends to the temporary file, `commit` flushes it, renames it over the target
 * and flushes the directory, `abort` removes it. Synchronous.
 */
export class AtomicFileWriter {
  private readonly temporary: string;
  private fd: number | undefined;

  constructor(private readonly path: string) {
    this.temporary = temporaryPath(path);
    this.fd = openSync(this.temporary, 'w');
  }

  write(text: string): void {
    if (this.fd === undefined) throw new Error('AtomicFileWriter: already closed');
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length; ) {
      offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
    }
  }

  commit(): void {
    if (this.fd === undefined) throw new Error('AtomicFileWriter: already closed');
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.temporary, this.path);
    } catch (error) {
      this.abort();
      throw error;
    }
    syncDirectorySync(dirname(this.path));
  }

  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already failed; the temporary is removed below
      }
      this.fd = undefined;
    }
    rmSync(this.temporary, { force: true });
  }
}

/** Removes the temporaries that killed writes of `path` left behind. */
export function removeStaleTemporaries(path: string): void {
  const directory = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) {
      rmSync(join(directory, name), { force: true });
    }
  }
}
