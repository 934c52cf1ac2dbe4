import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicFileWriter, removeStaleTemporaries, writeFileAtomic } from './atomic-file';

const scratch = () => mkdtempSync(join(tmpdir(), 'latticediff-atomic-'));

describe('the atomic file writer', () => {
  it('publishes pieces only on commit, over the old file, leaving no temporary', () => {
    const dir = scratch();
    const path = join(dir, 'out.csv');
    writeFileSync(path, 'old\n');
    const writer = new AtomicFileWriter(path);
    writer.write('a,b\n');
    writer.write('1,2\n');
    // until the commit, readers see the old file
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    writer.commit();
    expect(readFileSync(path, 'utf8')).toBe('a,b\n1,2\n');
    expect(readdirSync(dir)).toEqual(['out.csv']);
    expect(() => writer.write('more')).toThrow(/already closed/);
  });

  it('abort leaves the old file and removes the temporary', () => {
    const dir = scratch();
    const path = join(dir, 'out.csv');
    writeFileSync(path, 'old\n');
    const writer = new AtomicFileWriter(path);
    writer.write('partial');
    writer.abort();
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it('writeFileAtomic replaces the file and removes its temporary when the rename fails', async () => {
    const dir = scratch();
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, '{"a":1}');
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}');
    // renaming over a non-empty directory fails: the error comes back and nothing is left behind
    mkdirSync(join(dir, 'taken', 'inner'), { recursive: true });
    // and a missing directory fails before any temporary exists
    await expect(writeFileAtomic(join(dir, 'missing', 'x'), 'text')).rejects.toThrow();
    await expect(writeFileAtomic(join(dir, 'taken'), 'text')).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['state.json', 'taken']);
  });

  it('removeStaleTemporaries clears what killed writes of that file left, and nothing else', () => {
    const dir = scratch();
    const path = join(dir, 'model.mps');
    for (const name of [
      '.model.mps.0a1b2c.tmp',
      '.model.mps.ffffff.tmp',
      '.other.mps.123456.tmp',
      'model.mps',
    ]) {
      writeFileSync(join(dir, name), 'x');
    }
    removeStaleTemporaries(path);
    expect(readdirSync(dir).sort()).toEqual(['.other.mps.123456.tmp', 'model.mps']);
    removeStaleTemporaries(join(dir, 'missing-directory', 'f'));
  });
});
