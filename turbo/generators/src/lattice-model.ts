/**
 * The `lattice-model` generator without plop: id validation, template variables, rendering and
 * writing of a new model package. `turbo/generators/config.ts` wires it to `turbo gen`; the tests
 * call it directly on a temporary directory.
 *
 * Templates (turbo/generators/templates/lattice-model/*.tmpl) use `{{name}}` placeholders only;
 * an unknown placeholder is an error, so a template cannot silently render a hole.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Lowercase letters and digits in hyphen-separated words, starting with a letter. */
export const MODEL_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Answers of the generator's prompts. */
export interface LatticeModelAnswers {
  /** Model id, e.g. `potts`: package `@latticediff/model-<id>`, CLI `latticediff exact <id>`. */
  readonly id: string;
  /** Display name, e.g. `q-state Potts model`. */
  readonly name: string;
  /** One sentence for listings, package.json and `--help`. */
  readonly description: string;
}

/** Where the generator reads and writes. */
export interface ScaffoldOptions extends LatticeModelAnswers {
  /** Repository root (holds package.json, packages/, docs/, .changeset/). */
  readonly root: string;
  /** Directory of the templates (default: templates/lattice-model beside this file's parent). */
  readonly templates: string;
  /**
   * Add `"@latticediff/model-<id>": "workspace:^"` to the root package.json and
   * `"workspace:*"` to tools/package-tests/package.json when it exists (default true).
   */
  readonly addRootDevDependency?: boolean;
  /** Format the generated code and sort its imports with the repository's Biome (default true). */
  readonly format?: boolean;
}

/** Result of {@link scaffoldLatticeModel}. */
export interface ScaffoldResult {
  /** Created files, relative to the root. */
  readonly files: string[];
  /** The package directory, relative to the root (`packages/model-<id>`). */
  readonly packageDirectory: string;
  /** What to do next, one command or step per line. */
  readonly nextSteps: string[];
}

/** Models shipped with the repository (ids that a new package cannot take). */
const RESERVED_IDS = new Set(['ising', 'fredkin']);

/** `true`, or a message saying why `id` cannot be a new model id in `root`. */
export function validateModelId(id: unknown, root: string): true | string {
  if (typeof id !== 'string' || id.length === 0) {
    return 'model id is required: lowercase letters, digits and hyphens, e.g. "potts" or "xy-clock"';
  }
  if (!MODEL_ID_PATTERN.test(id)) {
    return `model id "${id}" is invalid: use lowercase letters, digits and single hyphens, starting with a letter (e.g. "potts", "clock-6")`;
  }
  if (id.length > 40) return `model id "${id}" is too long (at most 40 characters)`;
  if (RESERVED_IDS.has(id)) return `model id "${id}" is taken by a model shipped with latticediff`;
  const taken = [
    `packages/model-${id}`,
    `docs/models/${id}.md`,
    `.changeset/model-${id}-initial.md`,
  ].filter((path) => existsSync(join(root, path)));
  if (taken.length > 0) {
    return `model id "${id}" is taken: ${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}`;
  }
  const devDependencies = readRootPackageJson(root).devDependencies ?? {};
  if (Object.hasOwn(devDependencies, `@latticediff/model-${id}`)) {
    return `model id "${id}" is taken: the root package.json already lists @latticediff/model-${id}`;
  }
  return true;
}

/** `true`, or a message saying why `text` cannot be the display name / description. */
export function validateOneLine(what: string, text: unknown, maxLength: number): true | string {
  if (typeof text !== 'string' || text.trim().length === 0) return `${what} is required`;
  if (/[\r\n]/.test(text)) return `${what} must be one line`;
  if (text.trim().length > maxLength) {
    return `${what} is too long (${text.trim().length} characters, at most ${maxLength})`;
  }
  return true;
}

function words(id: string): string[] {
  return id.split('-');
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A single-quoted TypeScript string literal. */
function tsString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The values of every placeholder the templates may use. */
export function templateVariables(answers: LatticeModelAnswers): Record<string, string> {
  const [first = '', ...rest] = words(answers.id);
  const camel = first + rest.map(capitalize).join('');
  const pascal = capitalize(camel);
  const name = answers.name.trim();
  const description = answers.description.trim();
  return {
    id: answers.id,
    name,
    description,
    nameJson: JSON.stringify(name),
    nameYaml: JSON.stringify(name),
    descriptionJson: JSON.stringify(description),
    descriptionTs: tsString(description),
    exportName: `${camel}Model`,
    parametersType: `${pascal}Parameters`,
    schemaName: `${camel}ParameterSchema`,
    exactName: `${camel}Exact`,
    exactResultType: `${pascal}ExactResult`,
  };
}

/** Replaces `{{key}}` placeholders; throws on a placeholder without a value. */
export function renderTemplate(
  template: string,
  variables: Readonly<Record<string, string>>,
  templateName = 'template',
): string {
  return template.replace(/\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g, (_, key: string) => {
    const value = variables[key];
    if (value === undefined) {
      throw new Error(`${templateName}: unknown placeholder {{${key}}}`);
    }
    return value;
  });
}

/** Template file (relative to the templates directory) -> output path (relative to the root). */
export function templateTargets(id: string): [string, string][] {
  const pkg = `packages/model-${id}`;
  return [
    ['package.json.tmpl', `${pkg}/package.json`],
    ['tsconfig.json.tmpl', `${pkg}/tsconfig.json`],
    ['tsup.config.ts.tmpl', `${pkg}/tsup.config.ts`],
    ['vitest.config.ts.tmpl', `${pkg}/vitest.config.ts`],
    ['README.md.tmpl', `${pkg}/README.md`],
    ['LICENSE.tmpl', `${pkg}/LICENSE`],
    ['src/index.ts.tmpl', `${pkg}/src/index.ts`],
    ['src/model.ts.tmpl', `${pkg}/src/${id}.ts`],
    ['src/conformance.test.ts.tmpl', `${pkg}/src/conformance.test.ts`],
    ['src/baselines.test.ts.tmpl', `${pkg}/src/baselines.test.ts`],
    ['changeset.md.tmpl', `.changeset/model-${id}-initial.md`],
    ['docs-page.md.tmpl', `docs/models/${id}.md`],
  ];
}

interface RootPackageJson {
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

function readRootPackageJson(root: string): RootPackageJson {
  const path = join(root, 'package.json');
  if (!existsSync(path)) throw new Error(`no package.json at the repository root ${root}`);
  return JSON.parse(readFileSync(path, 'utf8')) as RootPackageJson;
}

/**
 * Adds `name: range` to the devDependencies of the package.json at `path` (kept sorted), leaving
 * every other field as it was. Returns false when it is already there.
 */
export function addDevDependency(path: string, name: string, range: string): boolean {
  return addDependency(path, 'devDependencies', name, range);
}

/** Like {@link addDevDependency}, for the `dependencies` or `devDependencies` field. */
export function addDependency(
  path: string,
  field: 'dependencies' | 'devDependencies',
  name: string,
  range: string,
): boolean {
  if (!existsSync(path)) throw new Error(`no package.json at ${path}`);
  const pkg = JSON.parse(readFileSync(path, 'utf8')) as RootPackageJson;
  const current = (pkg[field] as Record<string, string> | undefined) ?? {};
  if (Object.hasOwn(current, name)) return false;
  const merged: Record<string, string> = { ...current, [name]: range };
  pkg[field] = Object.fromEntries(
    Object.keys(merged)
      .sort()
      .map((key) => [key, merged[key] as string]),
  );
  writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
  return true;
}

/**
 * Adds `"@latticediff/model-<id>": "workspace:^"` to the root devDependencies, so that the CLI run
 * from the repository root finds the model in the root node_modules.
 */
export function addRootDevDependency(root: string, id: string): boolean {
  return addDevDependency(join(root, 'package.json'), `@latticediff/model-${id}`, 'workspace:^');
}

/** The docs site, whose API reference covers every package in its dependencies (apps/docs). */
export const DOCS_SITE_MANIFEST = 'apps/docs/package.json';

/** The release checks that pack and install every published package (tools/package-tests). */
export const PACKAGE_TESTS_MANIFEST = 'tools/package-tests/package.json';

/** The Biome binary of the repository (root devDependency), looked up from `start` upwards. */
function biomeBinary(start: string): string | undefined {
  let directory = start;
  for (;;) {
    const candidate = join(directory, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * Validates the answers and writes the package, the changeset and the docs page. Throws an Error
 * with the validation message (nothing is written then).
 */
export function scaffoldLatticeModel(options: ScaffoldOptions): ScaffoldResult {
  const { root, templates } = options;
  const checks = [
    validateModelId(options.id, root),
    validateOneLine('display name', options.name, 80),
    validateOneLine('description', options.description, 200),
  ];
  for (const check of checks) if (check !== true) throw new Error(check);
  const variables = templateVariables(options);
  const files: string[] = [];
  for (const [template, target] of templateTargets(options.id)) {
    const text = readFileSync(join(templates, template), 'utf8');
    const path = join(root, target);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, renderTemplate(text, variables, template), { flag: 'wx' });
    files.push(target);
  }
  const packageDirectory = `packages/model-${options.id}`;
  if (options.format ?? true) {
    // names and descriptions change line breaks and export order: let Biome lay the code out
    const biome = biomeBinary(root);
    if (biome !== undefined) {
      execFileSync(
        process.execPath,
        [biome, 'check', '--write', relative(root, join(root, packageDirectory))],
        { cwd: root, stdio: 'pipe' },
      );
    }
  }
  if (options.addRootDevDependency ?? true) {
    if (addRootDevDependency(root, options.id)) files.push('package.json (devDependencies)');
    // the release checks list every published package as a devDependency
    const packageTests = join(root, PACKAGE_TESTS_MANIFEST);
    if (
      existsSync(packageTests) &&
      addDevDependency(packageTests, `@latticediff/model-${options.id}`, 'workspace:*')
    ) {
      files.push(`${PACKAGE_TESTS_MANIFEST} (devDependencies)`);
    }
    // the docs site generates the API reference of the packages it depends on
    const docsSite = join(root, DOCS_SITE_MANIFEST);
    if (
      existsSync(docsSite) &&
      addDependency(docsSite, 'dependencies', `@latticediff/model-${options.id}`, 'workspace:^')
    ) {
      files.push(`${DOCS_SITE_MANIFEST} (dependencies)`);
    }
  }
  const filter = `@latticediff/model-${options.id}`;
  return {
    files,
    packageDirectory,
    nextSteps: [
      'pnpm install',
      `pnpm turbo run build --filter=${filter}... --filter=@latticediff/cli...`,
      `pnpm --filter ${filter} test`,
      `node apps/cli/dist/cli.js exact ${options.id}`,
      `then replace the placeholder physics (every TODO(${options.id})) in ${packageDirectory}/src/${options.id}.ts, its tests, README.md and docs/models/${options.id}.md`,
    ],
  };
}
