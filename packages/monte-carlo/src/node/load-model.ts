/**
 * Loads a LatticeModel from a module (Node only): the named export, or the one export that is a
 * LatticeModel (specificationVersion "v1" and a create function). Internal.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LatticeModel } from '@latticediff/lattice';
import { invalidArgument } from '@latticediff/tensor-network/internal';

function isLatticeModel(value: unknown): value is LatticeModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { specificationVersion?: unknown }).specificationVersion === 'v1' &&
    typeof (value as { create?: unknown }).create === 'function'
  );
}

/**
 * The import specifier of `module`: a URL as is, a path (absolute, or starting with "." and then
 * relative to the working directory) as a file URL, a package name unchanged.
 */
export function moduleSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  if (isAbsolute(module) || module.startsWith('.')) return pathToFileURL(resolve(module)).href;
  return module;
}

export async function loadModel(
  specifier: string,
  exportName: string | null,
  fn = 'runChainsOnWorkers',
): Promise<LatticeModel> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  } catch (error) {
    return invalidArgument(
      fn,
      'model.module',
      specifier,
      `a module that this process can import (${(error as Error).message.split('\n')[0]}); pass an absolute path or import.meta.resolve(...) of the model package`,
    );
  }
  if (exportName !== null) {
    const chosen = namespace[exportName];
    if (!isLatticeModel(chosen)) {
      invalidArgument(
        fn,
        'model.exportName',
        exportName,
        `the name of a LatticeModel export of ${specifier}`,
      );
    }
    return chosen;
  }
  const models = Object.entries(namespace).filter(([, v]) => isLatticeModel(v));
  const distinct = [...new Set(models.map(([, v]) => v))];
  if (distinct.length !== 1) {
    invalidArgument(
      fn,
      'model.module',
      specifier,
      distinct.length === 0
        ? 'a module that exports a LatticeModel (specificationVersion "v1", create())'
        : `a module with one LatticeModel export, or model.exportName (it exports ${models.map(([n]) => n).join(', ')})`,
    );
  }
  return distinct[0] as LatticeModel;
}
