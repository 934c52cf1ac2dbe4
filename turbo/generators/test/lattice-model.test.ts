/**
 * The lattice-model generator's output builds and passes its own tests.
 *
 * Renders the templates for a throwaway id into a temporary repository root inside this package
 * (git-ignored test-artifacts/, removed afterwards), links this package's node_modules (its
 * devDependencies are what a model package needs: lattice, tensor-network, vitest), and runs
 * tsc --noEmit, tsup, vitest and biome there. Never runs pnpm: the lockfile stays as it was.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addRootDevDependency,
  renderTemplate,
  scaffoldLatticeModel,
  templateTargets,
  templateVariables,
  validateModelId,
} from '../src/lattice-model';

const here = dirname(fileURLToPath(import.meta.url));
const generatorsDirectory = resolve(here, '..');
const repositoryRoot = resolve(generatorsDirectory, '..', '..');
const templates = join(generatorsDirectory, 'templates', 'lattice-model');
const require = createRequire(join(repositoryRoot, 'package.json'));

/** A file of an installed package (resolved through its package.json, whatever its exports). */
function packageFile(name: string, file: string): string {
  return join(dirname(require.resolve(`${name}/package.json`)), file);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Runs a Node CLI in `cwd` without the parent's vitest environment; returns stdout + stderr. */
function runNode(script: string, args: string[], cwd: string): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'NODE_OPTIONS' && key !== 'CI') env[key] = value;
  }
  env.NO_COLOR = '1';
  try {
    return execFileSync(process.execPath, [script, ...args], {
      cwd,
      env,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${script} ${args.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe('lattice-model generator', () => {
  const lockfile = join(repositoryRoot, 'pnpm-lock.yaml');
  const lockfileHash = sha256(lockfile);
  const scratch = join(
    generatorsDirectory,
    'test-artifacts',
    `run-${randomBytes(4).toString('hex')}`,
  );
  const id = 'gen-check-2';
  const packageDirectory = join(scratch, 'packages', `model-${id}`);

  beforeAll(() => {
    // a minimal repository root: package.json, tsconfig.base.json, an existing model package
    mkdirSync(join(scratch, 'packages', 'model-taken'), { recursive: true });
    mkdirSync(join(scratch, 'tools', 'package-tests'), { recursive: true });
    mkdirSync(join(scratch, 'apps', 'docs'), { recursive: true });
    writeFileSync(
      join(scratch, 'apps', 'docs', 'package.json'),
      `${JSON.stringify({ name: 'docs', private: true, dependencies: { '@latticediff/lattice': 'workspace:^' } }, null, 2)}\n`,
    );
    writeFileSync(
      join(scratch, 'tools', 'package-tests', 'package.json'),
      `${JSON.stringify({ name: 'package-tests', private: true, devDependencies: { vitest: '4.1.12' } }, null, 2)}\n`,
    );
    copyFileSync(join(repositoryRoot, 'tsconfig.base.json'), join(scratch, 'tsconfig.base.json'));
    writeFileSync(
      join(scratch, 'package.json'),
      `${JSON.stringify(
        {
          name: 'scratch-root',
          private: true,
          scripts: { test: 'turbo run test' },
          devDependencies: { typescript: '5.9.3', '@latticediff/model-listed': 'workspace:^' },
        },
        null,
        2,
      )}\n`,
    );
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    const parent = dirname(scratch);
    // remove test-artifacts/ itself when no other run uses it
    try {
      rmdirSync(parent);
    } catch {
      // not empty (a parallel run) or already gone
    }
    expect(existsSync(scratch)).toBe(false);
    expect(sha256(lockfile), 'pnpm-lock.yaml unchanged').toBe(lockfileHash);
  });

  it('validates model ids with clear messages', () => {
    expect(validateModelId('potts-3', scratch)).toBe(true);
    expect(validateModelId('Potts', scratch)).toMatch(/model id "Potts" is invalid: use lowercase/);
    expect(validateModelId('3-state', scratch)).toMatch(/invalid/);
    expect(validateModelId('a--b', scratch)).toMatch(/invalid/);
    expect(validateModelId('trailing-', scratch)).toMatch(/invalid/);
    expect(validateModelId('', scratch)).toMatch(/model id is required/);
    expect(validateModelId('ising', scratch)).toMatch(/taken by a model shipped/);
    expect(validateModelId('taken', scratch)).toBe(
      'model id "taken" is taken: packages/model-taken already exists',
    );
    expect(validateModelId('listed', scratch)).toMatch(/root package.json already lists/);
    expect(() =>
      scaffoldLatticeModel({ id: 'Bad Id', name: 'x', description: 'y', root: scratch, templates }),
    ).toThrow(/model id "Bad Id" is invalid/);
    expect(() =>
      scaffoldLatticeModel({ id: 'fine', name: ' ', description: 'y', root: scratch, templates }),
    ).toThrow(/display name is required/);
    expect(existsSync(join(scratch, 'packages', 'model-fine'))).toBe(false);
  });

  it('renders every placeholder of every template (unknown placeholders are errors)', () => {
    const variables = templateVariables({ id: 'xy-clock', name: 'Clock', description: "It's" });
    expect(variables.exportName).toBe('xyClockModel');
    expect(variables.parametersType).toBe('XyClockParameters');
    expect(variables.descriptionTs).toBe("'It\\'s'");
    for (const [template] of templateTargets('xy-clock')) {
      const text = readFileSync(join(templates, template), 'utf8');
      expect(renderTemplate(text, variables, template)).not.toMatch(/\{\{|\}\}/);
    }
    expect(() => renderTemplate('a {{nope}} b', variables, 'x.tmpl')).toThrow(
      'x.tmpl: unknown placeholder {{nope}}',
    );
  });

  it('adds the package to the root devDependencies, sorted, leaving the rest alone', () => {
    const before = JSON.parse(readFileSync(join(scratch, 'package.json'), 'utf8'));
    expect(addRootDevDependency(scratch, 'aaa')).toBe(true);
    expect(addRootDevDependency(scratch, 'aaa')).toBe(false);
    const after = JSON.parse(readFileSync(join(scratch, 'package.json'), 'utf8'));
    expect(Object.keys(after.devDependencies)).toEqual([
      '@latticediff/model-aaa',
      '@latticediff/model-listed',
      'typescript',
    ]);
    expect(after.devDependencies['@latticediff/model-aaa']).toBe('workspace:^');
    expect(after.scripts).toEqual(before.scripts);
    expect(after.name).toBe(before.name);
  });

  it('scaffolds a package that type-checks, builds, passes its conformance test and lint', async () => {
    const result = scaffoldLatticeModel({
      id,
      name: 'Generator check',
      description: "A throwaway model written by the generator's own test, with a 'quoted' word",
      root: scratch,
      templates,
    });
    expect(result.packageDirectory).toBe(`packages/model-${id}`);
    expect(result.files).toEqual([
      ...templateTargets(id).map(([, target]) => target),
      'package.json (devDependencies)',
      'tools/package-tests/package.json (devDependencies)',
      'apps/docs/package.json (dependencies)',
    ]);
    const docsSite = JSON.parse(
      readFileSync(join(scratch, 'apps', 'docs', 'package.json'), 'utf8'),
    );
    expect(docsSite.dependencies).toEqual({
      '@latticediff/lattice': 'workspace:^',
      [`@latticediff/model-${id}`]: 'workspace:^',
    });
    const packageTests = JSON.parse(
      readFileSync(join(scratch, 'tools', 'package-tests', 'package.json'), 'utf8'),
    );
    expect(packageTests.devDependencies).toEqual({
      [`@latticediff/model-${id}`]: 'workspace:*',
      vitest: '4.1.12',
    });
    expect(result.nextSteps[0]).toBe('pnpm install');
    const root = JSON.parse(readFileSync(join(scratch, 'package.json'), 'utf8'));
    expect(root.devDependencies[`@latticediff/model-${id}`]).toBe('workspace:^');
    expect(readFileSync(join(scratch, '.changeset', `model-${id}-initial.md`), 'utf8')).toContain(
      `"@latticediff/model-${id}": minor`,
    );
    expect(readFileSync(join(scratch, 'docs', 'models', `${id}.md`), 'utf8')).toMatch(
      /^---\ntitle: "Generator check"\norder: 38\n---\n/,
    );
    const pkg = JSON.parse(readFileSync(join(packageDirectory, 'package.json'), 'utf8'));
    expect(pkg.name).toBe(`@latticediff/model-${id}`);
    expect(pkg.version).toBe('0.0.0');
    expect(pkg.dependencies).toEqual({
      '@latticediff/lattice': 'workspace:^',
      '@latticediff/tensor-network': 'workspace:^',
    });
    // the same metadata shape as the reference model package
    const ising = JSON.parse(
      readFileSync(join(repositoryRoot, 'packages', 'model-ising', 'package.json'), 'utf8'),
    );
    const shape = [
      'exports',
      'files',
      'sideEffects',
      'engines',
      'type',
      'main',
      'types',
      'scripts',
    ];
    for (const key of [...shape, 'license', 'bugs', 'publishConfig']) {
      expect(pkg[key], key).toEqual(ising[key]);
    }
    expect(pkg.repository).toEqual({ ...ising.repository, directory: `packages/model-${id}` });
    expect(pkg.homepage).toBe(ising.homepage.replace('model-ising', `model-${id}`));
    // the same model validation a second time: the id is now taken
    expect(validateModelId(id, scratch)).toMatch(/is taken: packages\/model-gen-check-2/);

    // this package's own node_modules has what a model package needs (lattice, tensor-network,
    // vitest: its devDependencies, built first by turbo's ^build)
    symlinkSync(
      join(generatorsDirectory, 'node_modules'),
      join(packageDirectory, 'node_modules'),
      'dir',
    );
    runNode(packageFile('typescript', 'bin/tsc'), ['--noEmit', '-p', '.'], packageDirectory);
    runNode(packageFile('tsup', 'dist/cli-default.js'), [], packageDirectory);
    const tests = runNode(packageFile('vitest', 'vitest.mjs'), ['run'], packageDirectory);
    expect(tests).toMatch(/Tests\s+\d+ passed/);
    expect(tests).not.toMatch(/skipped|failed/);
    runNode(
      packageFile('@biomejs/biome', 'bin/biome'),
      ['check', '--no-errors-on-unmatched', '.'],
      packageDirectory,
    );
    // the built package exports the model under its id
    const built = (await import(
      pathToFileURL(join(packageDirectory, 'dist', 'index.js')).href
    )) as {
      genCheck2Model: { id: string; specificationVersion: string; create: unknown };
    };
    expect(built.genCheck2Model.id).toBe(id);
    expect(built.genCheck2Model.specificationVersion).toBe('v1');
    const instance = (built.genCheck2Model.create as (p: object) => { sites: number })({
      sites: 5,
    });
    expect(instance.sites).toBe(5);
  });
});
