/**
 * A second installed copy of @latticediff/tensor-network, as npm leaves when two packages pin
 * different versions: the built package (dist and package.json) is copied into a temporary
 * node_modules and imported from there, so its classes are distinct from the ones this package
 * imports (`instanceof` between them is false). Not part of the build.
 */
import { cpSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type TensorNetwork = typeof import('@latticediff/tensor-network');

/** Imports the copy; call `remove` when done with it. */
export async function importSecondCopy(): Promise<{ module: TensorNetwork; remove: () => void }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const installed = realpathSync(join(here, '../../node_modules/@latticediff/tensor-network'));
  const root = mkdtempSync(join(tmpdir(), 'latticediff-second-copy-'));
  const target = join(root, 'node_modules', '@latticediff', 'tensor-network');
  cpSync(join(installed, 'dist'), join(target, 'dist'), { recursive: true });
  cpSync(join(installed, 'package.json'), join(target, 'package.json'));
  const url = pathToFileURL(join(target, 'dist', 'index.js')).href;
  const module = (await import(/* @vite-ignore */ url)) as TensorNetwork;
  return { module, remove: () => rmSync(root, { recursive: true, force: true }) };
}
