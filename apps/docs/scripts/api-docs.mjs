#!/usr/bin/env node
/**
 * Generates the API reference (Markdown) of one published package from its TSDoc.
 *
 * Run from a package directory (its `docs` script): `node ../../apps/docs/scripts/api-docs.mjs`.
 * The entry points are the package's exports map entries (`./dist/x.js` -> `src/x.ts`), the output
 * goes to `<package>/api-docs/` (gitignored, cached by turbo as the `docs` task's output), and
 * `api-docs/symbols.json` lists the page of every exported symbol so that the packages that depend
 * on this one can link to it (their `docs` task runs after this one: turbo `^docs`).
 * typedoc and its Markdown plugin are resolved from apps/docs, which owns them.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { Application, ReflectionKind, RendererEvent } from 'typedoc';

const require = createRequire(import.meta.url);
const cwd = process.cwd();
const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
const OUT = 'api-docs';
/** URL folder of a package in the site: @latticediff/model-ising -> /api/model-ising/ */
const slugOf = (name) => name.replace(/^@latticediff\//, '');
const slug = slugOf(pkg.name);

/** [subpath, source file] of every JavaScript entry of the exports map. */
function entries() {
  const out = [];
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const file = typeof target === 'string' ? target : (target?.import ?? target?.default);
    if (typeof file !== 'string' || !file.endsWith('.js')) continue;
    // dist/x.js is built from src/x.ts or src/x/index.ts (tsup entries)
    const stem = file.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '');
    const source = [`${stem}.ts`, `${stem}/index.ts`].find((f) => existsSync(join(cwd, f)));
    if (!source) {
      throw new Error(
        `api-docs: ${pkg.name} exports ${subpath} -> ${file}, but neither ${stem}.ts nor ${stem}/index.ts exists`,
      );
    }
    out.push([subpath, source]);
  }
  if (out.length === 0) throw new Error(`api-docs: ${pkg.name} has no JavaScript exports`);
  return out;
}

/** Symbol tables of the @latticediff dependencies (written by their own `docs` runs). */
function dependencySymbols() {
  const tables = new Map();
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) {
    if (!dep.startsWith('@latticediff/')) continue;
    let file;
    try {
      file = join(resolve(require.resolve(`${dep}/package.json`, { paths: [cwd] }), '..'), OUT);
    } catch {
      continue;
    }
    const path = join(file, 'symbols.json');
    if (!existsSync(path)) {
      throw new Error(
        `api-docs: ${path} is missing; generate ${dep}'s reference first (turbo run docs does)`,
      );
    }
    const table = JSON.parse(readFileSync(path, 'utf8'));
    for (const [moduleSource, symbols] of Object.entries(table)) tables.set(moduleSource, symbols);
  }
  return tables;
}

const list = entries();
const multiple = list.length > 1;
rmSync(join(cwd, OUT), { recursive: true, force: true });

const app = await Application.bootstrapWithPlugins({
  name: pkg.name,
  entryPoints: list.map(([, source]) => source),
  tsconfig: join(cwd, 'tsconfig.json'),
  out: OUT,
  plugin: [require.resolve('typedoc-plugin-markdown')],
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  disableSources: true,
  hidePageHeader: true,
  hideBreadcrumbs: true,
  entryFileName: 'index.md',
  useCodeBlocks: false,
  parametersFormat: 'table',
  // properties as headed sections (long TSDoc descriptions read badly in narrow table cells)
  interfacePropertiesFormat: 'list',
  classPropertiesFormat: 'list',
  typeDeclarationFormat: 'list',
  enumMembersFormat: 'table',
  propertyMembersFormat: 'table',
  indexFormat: 'table',
  sanitizeComments: true,
  useHTMLEncodedBrackets: true,
  gitRevision: 'main',
  logLevel: 'Warn',
  validation: {
    notExported: true,
    invalidLink: true,
    notDocumented: false,
    unusedMergeModuleWith: true,
  },
});

// Links to types of other @latticediff packages go to their pages in the site.
const symbols = dependencySymbols();
app.converter.addUnknownSymbolResolver((ref) => {
  const source = ref.moduleSource;
  if (!source || !symbols.has(source)) return undefined;
  const path = ref.symbolReference?.path?.map((p) => p.path) ?? [];
  const table = symbols.get(source);
  return table[path.join('.')] ?? table[path[0]] ?? undefined;
});

// After rendering: the page of every top-level export, for the packages that link here.
const KINDS =
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.Function |
  ReflectionKind.TypeAlias |
  ReflectionKind.Variable |
  ReflectionKind.Enum |
  ReflectionKind.Namespace;
app.renderer.on(RendererEvent.END, (event) => {
  const router = app.renderer.router;
  const table = {};
  const moduleSourceOf = (moduleName) => {
    if (!multiple) return pkg.name;
    const found = list.find(
      ([, source]) => source.replace(/^src\//, '').replace(/(\/index)?\.ts$/, '') === moduleName,
    );
    if (!found) return undefined;
    return found[0] === '.' ? pkg.name : `${pkg.name}/${found[0].replace(/^\.\//, '')}`;
  };
  const add = (moduleSource, refl) => {
    if (!moduleSource || !router.hasUrl(refl)) return;
    table[moduleSource] ??= {};
    const url = router
      .getFullUrl(refl)
      .replace(/\.md(#|$)/, '$1')
      .replace(/\/index$/, '/');
    table[moduleSource][refl.name] = `/api/${slug}/${url}`;
  };
  const project = event.project;
  if (multiple) {
    for (const mod of project.children ?? []) {
      for (const child of mod.children ?? [])
        if (child.kindOf(KINDS)) add(moduleSourceOf(mod.name), child);
    }
  } else {
    for (const child of project.children ?? []) if (child.kindOf(KINDS)) add(pkg.name, child);
  }
  writeFileSync(join(cwd, OUT, 'symbols.json'), `${JSON.stringify(table, null, 2)}\n`);
});

const project = await app.convert();
if (!project) {
  console.error(`api-docs: typedoc could not convert ${pkg.name}`);
  process.exit(1);
}
await app.generateOutputs(project);
if (app.logger.hasErrors()) {
  console.error(`api-docs: typedoc reported errors for ${pkg.name}`);
  process.exit(1);
}
console.log(
  `api-docs: ${pkg.name} -> ${relative(cwd, join(cwd, OUT))}/ (${list.map(([s]) => s).join(', ')})`,
);
