/**
 * A second installed copy of @latticediff/tensor-network, as npm leaves when two packages pin
 * different versions: the built package (dist and package.json) is copied into a temporary
 * node_modules and imported from there, so its MPS class is a different one (`instanceof` between
 * them is false). Test helper, not part of the build.
 */
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Runs `use` with the copy's module, then removes the copy. */
export async function withSecondCopy(
  use: (module: typeof import('@latticediff/tensor-network')) => Promise<void> | void,
): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const installed = realpathSync(join(here, '../node_modules/@latticediff/tensor-network'));
  const root = mkdtempSync(join(tmpdir(), 'latticediff-second-copy-'));
  try {
    const target = join(root, 'node_modules', '@latticediff', 'tensor-network');
    cpSync(join(installed, 'dist'), join(target, 'dist'), { recursive: true });
    cpSync(join(installed, 'package.json'), join(target, 'package.json'));
    const url = pathToFileURL(join(target, 'dist', 'index.js')).href;
    await use(
      (await import(/* @vite-ignore */ url)) as typeof import('@latticediff/tensor-network'),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
