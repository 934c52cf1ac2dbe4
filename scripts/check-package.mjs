#!/usr/bin/env node
// Checks one publishable workspace package as npm would receive it. Run from the package
// directory (its `check:package` script): `node ../../scripts/check-package.mjs`.
//
// 1. the package.json metadata (validateManifest);
// 2. `pnpm pack` into a temporary directory, then the packed package.json (workspace: ranges
//    rewritten), the file list (no sources, tests or configs) and the imports of the shipped
//    JavaScript and declarations (every bare import is a declared dependency or peer, every
//    runtime dependency or peer is imported; so no devDependency is needed at run time);
// 3. publint --strict on the tarball;
// 4. arethetypeswrong on the tarball with the esm-only profile (the packages are ESM-only, so
//    the CommonJS resolutions node10 and node16-from-CJS are out of scope), without
//    DefinitelyTyped look-ups, so it needs no network.
//
// The pure functions are exported for the tests in tools/package-tests.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_URL = 'https://github.com/latticediff/latticediff';
export const SCOPE = '@latticediff/';

/** The `check:package` script a package at `directory` (relative to the root) must have. */
export function checkPackageScript(directory) {
  const depth = directory.split('/').filter(Boolean).length;
  return `node ${'../'.repeat(depth)}scripts/check-package.mjs`;
}

const TEST_OR_SOURCE_FILE = [
  /(^|\/)src\//,
  /(^|\/)(test|tests|__tests__|bench|test-results|coverage)\//,
  /\.(test|spec)\.[cm]?[jt]sx?$/,
  /\.(test|spec)\.d\.[cm]?ts$/,
  /(^|\/)(tsconfig[^/]*\.json|vitest\.config\.[cm]?[jt]s|tsup\.config\.[cm]?[jt]s|biome\.json)$/,
];

/** True when a packed path is a source, test, benchmark or build configuration file. */
export function isSourceOrTestFile(path) {
  return TEST_OR_SOURCE_FILE.some((pattern) => pattern.test(path));
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Metadata rules of a published package (its package.json in the workspace). `directory` is
 * the package directory relative to the repository root, with forward slashes. Returns the
 * list of problems (empty when the manifest is fine).
 */
export function validateManifest(manifest, directory) {
  const errors = [];
  const fail = (message) => errors.push(message);
  if (!isObject(manifest)) return ['package.json must be a JSON object'];
  const name = manifest.name;
  if (typeof name !== 'string' || !name.startsWith(SCOPE))
    fail(`"name" must start with ${SCOPE} (got ${JSON.stringify(name)})`);
  if (manifest.private === true) fail('"private" is true: a published package cannot be private');
  if (typeof manifest.version !== 'string' || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(manifest.version))
    fail(`"version" must be a semver version (got ${JSON.stringify(manifest.version)})`);
  for (const field of ['description', 'license']) {
    if (typeof manifest[field] !== 'string' || manifest[field].trim() === '')
      fail(`"${field}" must be a non-empty string`);
  }
  if (
    !Array.isArray(manifest.keywords) ||
    manifest.keywords.length === 0 ||
    !manifest.keywords.every((k) => typeof k === 'string' && k !== '')
  )
    fail('"keywords" must be a non-empty array of strings');
  else if (!manifest.keywords.includes('latticediff'))
    fail('"keywords" must include "latticediff" (so `npm search latticediff` finds every package)');
  if (manifest.type !== 'module') fail('"type" must be "module" (the packages are ESM-only)');
  if (typeof manifest.sideEffects !== 'boolean' && !Array.isArray(manifest.sideEffects))
    fail('"sideEffects" must be declared (false, or the list of modules with side effects)');

  // exports: ESM-only, types first, package.json exported
  const hasBin = manifest.bin !== undefined;
  if (!isObject(manifest.exports)) {
    fail('"exports" must be an object of subpaths');
  } else {
    if (manifest.exports['./package.json'] !== './package.json')
      fail('"exports" must contain "./package.json": "./package.json"');
    if (!hasBin && !isObject(manifest.exports['.']))
      fail('"exports" must contain "." (a library without a bin)');
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (!subpath.startsWith('.'))
        fail(`"exports" key ${JSON.stringify(subpath)} must be a subpath starting with "."`);
      if (subpath === './package.json') continue;
      if (!isObject(target)) {
        fail(`"exports"["${subpath}"] must be an object of conditions {"types", "import"}`);
        continue;
      }
      const conditions = Object.keys(target);
      if (conditions[0] !== 'types')
        fail(
          `"exports"["${subpath}"]: "types" must be the first condition (got ${JSON.stringify(conditions)})`,
        );
      if (typeof target.types !== 'string' || !target.types.endsWith('.d.ts'))
        fail(`"exports"["${subpath}"].types must name a .d.ts file`);
      if (typeof target.import !== 'string' || !target.import.endsWith('.js'))
        fail(`"exports"["${subpath}"].import must name a .js file`);
      if ('require' in target)
        fail(`"exports"["${subpath}"] has "require": the packages are ESM-only`);
      for (const condition of conditions) {
        if (!['types', 'import', 'default'].includes(condition))
          fail(`"exports"["${subpath}"] has an unexpected condition "${condition}"`);
      }
    }
    const root = manifest.exports['.'];
    if (isObject(root)) {
      if (manifest.main !== undefined && manifest.main !== root.import)
        fail(`"main" (${manifest.main}) must equal "exports"["."].import (${root.import})`);
      if (manifest.types !== undefined && manifest.types !== root.types)
        fail(`"types" (${manifest.types}) must equal "exports"["."].types (${root.types})`);
    }
  }

  // files: what is shipped
  if (!Array.isArray(manifest.files) || !manifest.files.includes('dist')) {
    fail('"files" must be an array that includes "dist"');
  } else {
    for (const entry of manifest.files) {
      if (typeof entry !== 'string' || isSourceOrTestFile(`${entry.replace(/\/$/, '')}/`))
        fail(`"files" must not ship sources, tests or configs (got ${JSON.stringify(entry)})`);
    }
  }

  if (!isObject(manifest.engines) || typeof manifest.engines.node !== 'string')
    fail('"engines"."node" must state the supported Node versions');

  const repository = manifest.repository;
  const repositoryUrl = `git+${REPOSITORY_URL}.git`;
  if (
    !isObject(repository) ||
    repository.type !== 'git' ||
    repository.url !== repositoryUrl ||
    repository.directory !== directory
  )
    fail(
      `"repository" must be ${JSON.stringify({ type: 'git', url: repositoryUrl, directory })} (got ${JSON.stringify(repository)})`,
    );
  const homepage = `${REPOSITORY_URL}/tree/main/${directory}#readme`;
  if (manifest.homepage !== homepage)
    fail(`"homepage" must be "${homepage}" (got ${JSON.stringify(manifest.homepage)})`);
  if (!isObject(manifest.bugs) || manifest.bugs.url !== `${REPOSITORY_URL}/issues`)
    fail(`"bugs" must be {"url": "${REPOSITORY_URL}/issues"}`);
  if (!isObject(manifest.publishConfig) || manifest.publishConfig.access !== 'public')
    fail('"publishConfig" must be {"access": "public"} (scoped packages are private by default)');

  const script = checkPackageScript(directory);
  if (manifest.scripts?.['check:package'] !== script)
    fail(
      `"scripts"["check:package"] must be "${script}" (got ${JSON.stringify(manifest.scripts?.['check:package'])})`,
    );
  const optionalPeers = isObject(manifest.peerDependenciesMeta)
    ? manifest.peerDependenciesMeta
    : {};
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      if (!dependency.startsWith(SCOPE) || range === 'workspace:^') continue;
      // an optional peer loaded on demand (the CLI's @latticediff/neural) may take a whole
      // major line, "workspace:<major>.x": with a ^ range, changesets would make a major
      // release of the dependent at every minor release of the peer
      if (
        field === 'peerDependencies' &&
        optionalPeers[dependency]?.optional === true &&
        /^workspace:\d+\.x$/.test(range)
      )
        continue;
      fail(
        `"${field}"["${dependency}"] must be "workspace:^" (packed as ^<version>${field === 'peerDependencies' ? '; an optional peer may be "workspace:<major>.x"' : ''}; got ${JSON.stringify(range)})`,
      );
    }
  }
  if (manifest.bundleDependencies || manifest.bundledDependencies)
    fail('bundled dependencies are not supported');
  return errors;
}

const BUILTINS = new Set(builtinModules);

/** The package a bare module specifier belongs to (null for relative, URL and builtin ones). */
export function packageOfSpecifier(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || /^[a-z]+:/.test(specifier)) {
    return null;
  }
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  if (BUILTINS.has(name) || BUILTINS.has(specifier)) return null;
  return name;
}

const IMPORT_PATTERNS = [
  /\bimport\s*\(\s*["']([^"'\s]+)["']\s*\)/g,
  /(?:^|[\s}*])from\s*["']([^"'\s]+)["']/gm,
  /(?:^|[\s;])import\s*["']([^"'\s]+)["']/gm,
  /\brequire\s*\(\s*["']([^"'\s]+)["']\s*\)/g,
];

/** The module specifiers that a JavaScript or declaration file imports (static or dynamic). */
export function importedSpecifiers(code) {
  const found = new Set();
  // strip comments that start a line (JSDoc blocks, line comments) so documentation examples
  // do not count as imports; comment markers inside strings are left alone
  const stripped = code.replace(/^\s*\/\*[\s\S]*?\*\//gm, '').replace(/^\s*\/\/.*$/gm, '');
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of stripped.matchAll(pattern)) found.add(match[1]);
  }
  return [...found];
}

/**
 * Rules on what `pnpm pack` produced: the packed manifest and the packed files (paths relative
 * to the package root, with the text of the .js/.d.ts files). Returns the problems.
 */
export function validatePacked(manifest, files) {
  const errors = [];
  const fail = (message) => errors.push(message);
  const paths = files.map((f) => f.path);
  const text = JSON.stringify(manifest);
  if (text.includes('workspace:'))
    fail(
      `the packed package.json still has a workspace: range (${text.match(/"[^"]*":"workspace:[^"]*"/)?.[0]})`,
    );
  for (const path of paths) {
    if (isSourceOrTestFile(path)) fail(`the tarball ships a source, test or config file: ${path}`);
  }
  for (const required of ['package.json', 'README.md']) {
    if (!paths.includes(required)) fail(`the tarball has no ${required}`);
  }
  const targets = [];
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target === 'string') targets.push([`exports["${subpath}"]`, target]);
    else
      for (const [c, t] of Object.entries(target)) targets.push([`exports["${subpath}"].${c}`, t]);
  }
  if (manifest.main) targets.push(['main', manifest.main]);
  if (manifest.types) targets.push(['types', manifest.types]);
  const bins =
    typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
  for (const [command, bin] of Object.entries(bins)) targets.push([`bin.${command}`, bin]);
  for (const [field, target] of targets) {
    const path = target.replace(/^\.\//, '');
    if (!paths.includes(path)) fail(`${field} points to ${target}, which is not in the tarball`);
  }
  for (const bin of Object.values(bins)) {
    const file = files.find((f) => f.path === bin.replace(/^\.\//, ''));
    if (file && !file.text?.startsWith('#!/usr/bin/env node'))
      fail(`the bin ${bin} does not start with "#!/usr/bin/env node"`);
  }

  const runtime = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const used = new Set();
  for (const file of files) {
    if (file.text === undefined) continue;
    const isDeclaration = /\.d\.[cm]?ts$/.test(file.path);
    for (const specifier of importedSpecifiers(file.text)) {
      const dependency = packageOfSpecifier(specifier);
      if (dependency === null || dependency === manifest.name) continue;
      if (!isDeclaration) used.add(dependency);
      if (!runtime.has(dependency)) {
        const where = manifest.devDependencies?.[dependency] ? ' (only a devDependency)' : '';
        fail(
          `${file.path} imports "${specifier}", but ${dependency} is not a dependency or peer dependency${where}`,
        );
      }
    }
  }
  for (const dependency of runtime) {
    if (!used.has(dependency))
      fail(
        `${dependency} is declared as a dependency or peer, but no shipped JavaScript imports it`,
      );
  }
  return errors;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  return result;
}

/** Runs every check on the package in `packageDir`; prints a report; returns the exit code. */
export function checkPackage(packageDir, { root } = {}) {
  const repoRoot = root ?? resolve(fileURLToPath(new URL('..', import.meta.url)));
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const directory = relative(repoRoot, packageDir).split(sep).join('/');
  const label = `${manifest.name} (${directory})`;
  const problems = validateManifest(manifest, directory).map((m) => `package.json: ${m}`);

  const work = mkdtempSync(join(tmpdir(), 'latticediff-check-package-'));
  try {
    const packed = run('pnpm', ['pack', '--pack-destination', work, '--json'], {
      cwd: packageDir,
    });
    if (packed.status !== 0) {
      problems.push(`pnpm pack failed:\n${packed.stderr}${packed.stdout}`);
      return report(label, problems);
    }
    const tarball = JSON.parse(packed.stdout).filename;
    const extracted = join(work, 'extracted');
    mkdirSync(extracted);
    const untar = run('tar', ['-xzf', tarball, '-C', extracted]);
    if (untar.status !== 0) throw new Error(`tar -xzf ${tarball} failed: ${untar.stderr}`);
    const packageRoot = join(extracted, 'package');
    const listing = run('tar', ['-tzf', tarball]).stdout.split('\n').filter(Boolean);
    const files = listing
      .map((entry) => entry.replace(/^package\//, ''))
      .filter((path) => !path.endsWith('/'))
      .map((path) => ({
        path,
        text: /\.(m?js|d\.m?ts)$/.test(path)
          ? readFileSync(join(packageRoot, path), 'utf8')
          : undefined,
      }));
    const packedManifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    problems.push(...validatePacked(packedManifest, files).map((m) => `tarball: ${m}`));
    console.log(`${label}: ${files.length} files packed`);

    const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
    const publint = run(bin('publint'), ['run', tarball, '--strict'], { cwd: work });
    process.stdout.write(publint.stdout.replace(work, '<tmp>'));
    process.stderr.write(publint.stderr);
    if (publint.status !== 0) problems.push(`publint --strict failed (exit ${publint.status})`);

    const attw = run(
      bin('attw'),
      [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii'],
      { cwd: work, env: { ...process.env, FORCE_COLOR: '0' } },
    );
    process.stdout.write(attw.stdout);
    process.stderr.write(attw.stderr);
    if (attw.status !== 0)
      problems.push(`arethetypeswrong (--profile esm-only) failed (exit ${attw.status})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return report(label, problems);
}

function report(label, problems) {
  if (problems.length === 0) {
    console.log(`check:package ${label}: metadata, tarball, publint and attw all pass`);
    return 0;
  }
  console.error(`check:package ${label}: ${problems.length} problem(s)`);
  for (const problem of problems) console.error(`  - ${problem}`);
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = checkPackage(resolve(process.argv[2] ?? process.cwd()));
}
