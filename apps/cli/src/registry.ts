/**
 * Model discovery: the one place that knows which lattice models exist.
 *
 * Convention (also in the README and `latticediff models --help`):
 * - built in: `@latticediff/model-ising` and `@latticediff/model-fredkin`;
 * - contributed: any installed package named `@latticediff/model-<id>`, `latticediff-model-<id>`
 *   or `@<scope>/latticediff-model-<id>`, found in the `node_modules` directories of the CLI's
 *   own location and of the current working directory and of their parent directories.
 *   Only package.json files are read while scanning; a package is imported when its model is
 *   used (or listed by `latticediff models`).
 * - A model package's main export includes a `LatticeModel` object (`specificationVersion: 'v1'`
 *   and a `create` function). With several such exports, package.json picks one:
 *   `"latticediff": { "model": "exportName" }`; `"latticediff": { "id": "name" }` overrides the
 *   id taken from the package name.
 *
 * A new model therefore needs no change to the CLI.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { LatticeModel } from '@latticediff/lattice';
import { quote, suggest, UsageError } from './errors';

/** A model package found by the registry (not yet imported). */
export interface ModelEntry {
  /** Model id used on the command line (from the package name or package.json). */
  readonly id: string;
  readonly packageName: string;
  readonly version: string | undefined;
  readonly builtin: boolean;
  /** Package directory (contributed packages). */
  readonly directory: string | undefined;
  /**
   * URL of the module that holds the model (the package's ESM entry), for a worker thread to
   * import the model from (e.g. `runChainsOnWorkers`).
   */
  readonly moduleUrl: string;
  /** Imports the package and returns its model (cached). */
  load(): Promise<LatticeModel>;
  /**
   * Imports the package (cached) and returns the name of the export that {@link load} returns,
   * so that a worker importing {@link moduleUrl} picks the same model.
   */
  exportName(): Promise<string>;
}

const BUILTIN: readonly {
  id: string;
  packageName: string;
  load: () => Promise<unknown>;
  resolve: () => string;
}[] = [
  {
    id: 'ising',
    packageName: '@latticediff/model-ising',
    load: () => import('@latticediff/model-ising'),
    resolve: () => import.meta.resolve('@latticediff/model-ising'),
  },
  {
    id: 'fredkin',
    packageName: '@latticediff/model-fredkin',
    load: () => import('@latticediff/model-fredkin'),
    resolve: () => import.meta.resolve('@latticediff/model-fredkin'),
  },
];

/** True for an object that implements the lattice model contract v1. */
export function isLatticeModel(value: unknown): value is LatticeModel {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<LatticeModel>;
  return (
    v.specificationVersion === 'v1' &&
    typeof v.create === 'function' &&
    typeof v.id === 'string' &&
    typeof v.parameterSchema === 'object' &&
    v.parameterSchema !== null
  );
}

/** The LatticeModel among a module's exports (`exportName` picks one when given). */
export function pickModelExport(
  namespace: Record<string, unknown>,
  packageName: string,
  exportName?: string,
): LatticeModel {
  return pickNamedModelExport(namespace, packageName, exportName).model;
}

/** {@link pickModelExport} with the name of the export it picked. */
export function pickNamedModelExport(
  namespace: Record<string, unknown>,
  packageName: string,
  exportName?: string,
): { name: string; model: LatticeModel } {
  if (exportName !== undefined) {
    const chosen = namespace[exportName];
    if (!isLatticeModel(chosen)) {
      throw new UsageError(
        `package ${packageName} names export ${quote(exportName)} as its model (package.json "latticediff.model"), but that export is not a LatticeModel with specificationVersion "v1"`,
      );
    }
    return { name: exportName, model: chosen };
  }
  const candidates = Object.entries(namespace).filter(([name, value]) => {
    return name !== 'default' && isLatticeModel(value);
  });
  const fallback = namespace.default;
  if (candidates.length === 0 && isLatticeModel(fallback)) {
    return { name: 'default', model: fallback };
  }
  if (candidates.length === 0) {
    throw new UsageError(
      `package ${packageName} exports no LatticeModel (an object with specificationVersion "v1" and create())`,
    );
  }
  if (candidates.length > 1) {
    throw new UsageError(
      `package ${packageName} exports several LatticeModels (${candidates.map(([n]) => n).join(', ')}); name one in its package.json: "latticediff": { "model": "exportName" }`,
    );
  }
  const [name, model] = candidates[0]!;
  return { name, model: model as LatticeModel };
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  main?: unknown;
  module?: unknown;
  exports?: unknown;
  latticediff?: { model?: unknown; id?: unknown };
}

function readPackageJson(directory: string): PackageJson | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}

function conditionTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const t = conditionTarget(item);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of ['import', 'node', 'module', 'default']) {
      if (key in record) {
        const t = conditionTarget(record[key]);
        if (t !== undefined) return t;
      }
    }
  }
  return undefined;
}

/** The ESM entry file of a package directory (exports ".", then module, then main). */
export function packageEntry(directory: string, pkg: PackageJson): string {
  let target: string | undefined;
  const exportsField = pkg.exports;
  if (typeof exportsField === 'string' || Array.isArray(exportsField)) {
    target = conditionTarget(exportsField);
  } else if (typeof exportsField === 'object' && exportsField !== null) {
    const record = exportsField as Record<string, unknown>;
    target = conditionTarget('.' in record ? record['.'] : record);
  }
  target ??= typeof pkg.module === 'string' ? pkg.module : undefined;
  target ??= typeof pkg.main === 'string' ? pkg.main : 'index.js';
  return resolve(directory, target);
}

function modelIdFromName(name: string): string | undefined {
  const match = /^(?:@latticediff\/model-|(?:@[^/]+\/)?latticediff-model-)([a-z0-9][\w.-]*)$/i.exec(
    name,
  );
  return match?.[1];
}

/** node_modules directories visible from `start` (itself and every parent). */
function nodeModulesChain(start: string): string[] {
  const out: string[] = [];
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate)) out.push(candidate);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Package directories in one node_modules whose names follow the convention. */
function scanNodeModules(nodeModules: string): string[] {
  const found: string[] = [];
  for (const entry of listDirectory(nodeModules)) {
    if (entry.startsWith('latticediff-model-')) found.push(join(nodeModules, entry));
    else if (entry.startsWith('@')) {
      for (const inner of listDirectory(join(nodeModules, entry))) {
        if (
          (entry === '@latticediff' && inner.startsWith('model-')) ||
          inner.startsWith('latticediff-model-')
        ) {
          found.push(join(nodeModules, entry, inner));
        }
      }
    }
  }
  return found.filter(isDirectory);
}

function cliDirectory(): string {
  return dirname(fileURLToPath(import.meta.url));
}

function builtinVersion(packageName: string): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const path = require.resolve(`${packageName}/package.json`);
    const version = readPackageJson(dirname(path))?.version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => {
    promise ??= load();
    return promise;
  };
}

/**
 * The URL of a built-in package's entry: `import.meta.resolve` where the runtime has it, else
 * the package's ESM entry read from its package.json.
 */
function builtinModuleUrl(packageName: string, resolveModule: () => string): string {
  try {
    if (typeof import.meta.resolve === 'function') return resolveModule();
  } catch {
    // fall through to the package.json route
  }
  const require = createRequire(import.meta.url);
  const directory = dirname(require.resolve(`${packageName}/package.json`));
  return pathToFileURL(packageEntry(directory, readPackageJson(directory) ?? {})).href;
}

/**
 * Every model package: the built-in ones first, then contributed ones in the order of the
 * node_modules directories (current working directory first, then the CLI's location).
 */
export function discoverModels(cwd: string = process.cwd()): ModelEntry[] {
  const entries: ModelEntry[] = [];
  const seenPackages = new Set<string>();
  const seenIds = new Set<string>();
  for (const b of BUILTIN) {
    const picked = cached(async () =>
      pickNamedModelExport((await b.load()) as Record<string, unknown>, b.packageName),
    );
    entries.push({
      id: b.id,
      packageName: b.packageName,
      version: builtinVersion(b.packageName),
      builtin: true,
      directory: undefined,
      moduleUrl: builtinModuleUrl(b.packageName, b.resolve),
      load: async () => (await picked()).model,
      exportName: async () => (await picked()).name,
    });
    seenPackages.add(b.packageName);
    seenIds.add(b.id);
  }
  const seenDirectories = new Set<string>();
  const roots = [...nodeModulesChain(cwd), ...nodeModulesChain(cliDirectory())];
  for (const nodeModules of roots) {
    for (const directory of scanNodeModules(nodeModules)) {
      let real: string;
      try {
        real = realpathSync(directory);
      } catch {
        continue;
      }
      if (seenDirectories.has(real)) continue;
      seenDirectories.add(real);
      const pkg = readPackageJson(directory);
      const name = typeof pkg?.name === 'string' ? pkg.name : undefined;
      if (!pkg || !name || seenPackages.has(name)) continue;
      const declaredId = typeof pkg.latticediff?.id === 'string' ? pkg.latticediff.id : undefined;
      const id = declaredId ?? modelIdFromName(name);
      if (id === undefined || seenIds.has(id)) continue;
      const exportName =
        typeof pkg.latticediff?.model === 'string' ? pkg.latticediff.model : undefined;
      seenPackages.add(name);
      seenIds.add(id);
      const entry = packageEntry(real, pkg);
      const picked = cached(async () => {
        let namespace: Record<string, unknown>;
        try {
          namespace = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
        } catch (error) {
          throw new UsageError(
            `cannot load model package ${name} from ${entry}: ${(error as Error).message ?? String(error)}`,
          );
        }
        const found = pickNamedModelExport(namespace, name, exportName);
        if (found.model.id !== id) {
          throw new UsageError(
            `package ${name} provides model ${quote(found.model.id)} but its id by the naming convention is ${quote(id)}; set "latticediff": { "id": ${quote(found.model.id)} } in its package.json`,
          );
        }
        return found;
      });
      entries.push({
        id,
        packageName: name,
        version: typeof pkg.version === 'string' ? pkg.version : undefined,
        builtin: false,
        directory: real,
        moduleUrl: pathToFileURL(entry).href,
        load: async () => (await picked()).model,
        exportName: async () => (await picked()).name,
      });
    }
  }
  return entries;
}

/** The model with this id, imported; a UsageError (with the installed ids) when unknown. */
export async function loadModel(
  id: string,
  entries: readonly ModelEntry[] = discoverModels(),
): Promise<{ entry: ModelEntry; model: LatticeModel }> {
  const entry = entries.find((e) => e.id === id);
  if (!entry) {
    const ids = entries.map((e) => e.id);
    const close = suggest(id, ids);
    throw new UsageError(
      `unknown model ${quote(id)}${close ? ` (did you mean ${close}?)` : ''}; installed models: ${ids.join(', ')}`,
      'run "latticediff models" to list them with their parameters',
    );
  }
  return { entry, model: await entry.load() };
}
