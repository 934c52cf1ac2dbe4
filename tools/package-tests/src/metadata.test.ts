/**
 * Guards that make the package checks cover every published workspace package automatically,
 * and tests of the rules in scripts/check-package.mjs (each rule must catch its mistake).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkPackageScript,
  importedSpecifiers,
  isSourceOrTestFile,
  packageOfSpecifier,
  validateManifest,
  validatePacked,
} from '../../../scripts/check-package.mjs';
import { allPackages, exec, publishedPackages, ROOT } from './workspace';

/** The one published package that runs on tfjs. */
const TFJS_PACKAGE = '@latticediff/neural';

const self = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>;
};

describe('the published workspace packages', () => {
  it('are found as pnpm finds them', async () => {
    const listed = await exec('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: ROOT });
    expect(listed.code).toBe(0);
    const fromPnpm = (JSON.parse(listed.stdout) as { name: string; path: string }[])
      .filter((p) => p.path !== ROOT)
      .map((p) => p.name)
      .sort();
    expect(
      allPackages()
        .map((p) => p.name)
        .sort(),
    ).toEqual(fromPnpm);
    // the seven of issue #8 at least
    expect(publishedPackages().map((p) => p.name)).toEqual(
      expect.arrayContaining([
        '@latticediff/cli',
        '@latticediff/lattice',
        '@latticediff/markov-jump',
        '@latticediff/model-fredkin',
        '@latticediff/model-ising',
        '@latticediff/monte-carlo',
        '@latticediff/tensor-network',
      ]),
    );
  });

  for (const pkg of publishedPackages()) {
    describe(pkg.name, () => {
      it('has the metadata of a published package', () => {
        expect(validateManifest(pkg.manifest, pkg.dir)).toEqual([]);
      });

      it('is a devDependency of @latticediff/package-tests, so it is built and pack-tested', () => {
        expect(
          self.devDependencies[pkg.name],
          `add "${pkg.name}": "workspace:*" to tools/package-tests/package.json devDependencies`,
        ).toBe('workspace:*');
      });

      it('installs alone: its runtime dependencies are published workspace packages', () => {
        const published = new Set(publishedPackages().map((p) => p.name));
        const runtime = Object.keys({
          ...pkg.manifest.dependencies,
          ...pkg.manifest.peerDependencies,
        });
        const peersMeta = (pkg.manifest.peerDependenciesMeta ?? {}) as Record<
          string,
          { optional?: boolean }
        >;
        // the one exception: @latticediff/neural runs on tfjs, a peer so that one tfjs engine
        // (a process-wide singleton holding the backends and gradients) serves everything
        const external = runtime.filter(
          (d) =>
            !published.has(d) &&
            !peersMeta[d]?.optional &&
            !(pkg.name === TFJS_PACKAGE && d.startsWith('@tensorflow/')),
        );
        expect(external, 'required external runtime dependencies').toEqual([]);
      });
    });
  }

  it('has tfjs declared by @latticediff/neural only, as peers, and the CLI takes neural as an optional peer', () => {
    // tfjs (several MB of WebAssembly and JavaScript) is what neural proposals need and nothing
    // else does: a user of the MPS proposals, the models or the CLI without --proposal neural
    // never installs it. Peers, not dependencies (STYLE.md): one tfjs-core per process.
    for (const pkg of publishedPackages()) {
      const dependencies = Object.keys(pkg.manifest.dependencies ?? {});
      const peers = Object.keys(pkg.manifest.peerDependencies ?? {});
      expect(
        dependencies.filter((d) => d.startsWith('@tensorflow/')),
        pkg.name,
      ).toEqual([]);
      const tfjsPeers = peers.filter((d) => d.startsWith('@tensorflow/'));
      if (pkg.name === TFJS_PACKAGE) {
        expect(tfjsPeers.sort()).toEqual([
          '@tensorflow/tfjs-backend-cpu',
          '@tensorflow/tfjs-backend-wasm',
          '@tensorflow/tfjs-core',
        ]);
      } else {
        expect(tfjsPeers, pkg.name).toEqual([]);
      }
      // whoever uses neural proposals takes the package as an optional peer
      if (pkg.name !== TFJS_PACKAGE && peers.includes(TFJS_PACKAGE)) {
        const meta = pkg.manifest.peerDependenciesMeta as
          | Record<string, { optional?: boolean }>
          | undefined;
        expect(meta?.[TFJS_PACKAGE]?.optional, pkg.name).toBe(true);
      }
      expect(dependencies, pkg.name).not.toContain(TFJS_PACKAGE);
    }
    const cli = publishedPackages().find((p) => p.name === '@latticediff/cli')!;
    expect(cli.manifest.peerDependencies?.[TFJS_PACKAGE]).toBe('workspace:0.x');
  });

  it('are all run by the root pipeline', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const tasks = root.scripts.test?.split(/\s+/) ?? [];
    for (const task of ['typecheck', 'lint', 'build', 'check:package', 'check:changesets', 'test'])
      expect(tasks).toContain(task);
  });
});

const GOOD = {
  name: '@latticediff/example',
  version: '0.0.0',
  description: 'An example',
  license: 'MIT',
  homepage: 'https://github.com/latticediff/latticediff/tree/main/packages/example#readme',
  bugs: { url: 'https://github.com/latticediff/latticediff/issues' },
  repository: {
    type: 'git',
    url: 'git+https://github.com/latticediff/latticediff.git',
    directory: 'packages/example',
  },
  type: 'module',
  sideEffects: false,
  exports: {
    '.': { types: './dist/index.d.ts', import: './dist/index.js' },
    './package.json': './package.json',
  },
  main: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'README.md', 'CHANGELOG.md'],
  scripts: { build: 'tsup', 'check:package': 'node ../../scripts/check-package.mjs' },
  dependencies: { '@latticediff/tensor-network': 'workspace:^' },
  engines: { node: '>=20.10' },
  keywords: ['latticediff', 'example'],
  publishConfig: { access: 'public' },
};

const edit = (change: (m: Record<string, unknown>) => void) => {
  const copy = structuredClone(GOOD) as Record<string, unknown>;
  change(copy);
  return validateManifest(copy, 'packages/example');
};

describe('validateManifest', () => {
  it('accepts a complete manifest', () => {
    expect(validateManifest(GOOD, 'packages/example')).toEqual([]);
    // an optional peer loaded on demand may take a whole major line (the CLI's neural)
    expect(
      edit((m) => {
        m.peerDependencies = { '@latticediff/neural': 'workspace:0.x' };
        m.peerDependenciesMeta = { '@latticediff/neural': { optional: true } };
      }),
    ).toEqual([]);
    expect(checkPackageScript('apps/cli')).toBe('node ../../scripts/check-package.mjs');
  });

  it.each([
    [
      'types after import',
      (m: Record<string, unknown>) => {
        m.exports = {
          '.': { import: './dist/index.js', types: './dist/index.d.ts' },
          './package.json': './package.json',
        };
      },
      /"types" must be the first condition/,
    ],
    [
      'a require condition',
      (m: Record<string, unknown>) => {
        m.exports = {
          '.': { types: './dist/index.d.ts', import: './dist/index.js', require: './x.cjs' },
          './package.json': './package.json',
        };
      },
      /ESM-only/,
    ],
    [
      'no ./package.json export',
      (m: Record<string, unknown>) => {
        m.exports = { '.': { types: './dist/index.d.ts', import: './dist/index.js' } };
      },
      /"\.\/package\.json"/,
    ],
    [
      'the wrong repository directory',
      (m: Record<string, unknown>) => {
        (m.repository as { directory: string }).directory = 'packages/other';
      },
      /"repository" must be/,
    ],
    ['no publishConfig', (m: Record<string, unknown>) => delete m.publishConfig, /publishConfig/],
    ['no sideEffects', (m: Record<string, unknown>) => delete m.sideEffects, /sideEffects/],
    ['no engines', (m: Record<string, unknown>) => delete m.engines, /engines/],
    ['no homepage', (m: Record<string, unknown>) => delete m.homepage, /homepage/],
    ['no bugs', (m: Record<string, unknown>) => delete m.bugs, /bugs/],
    ['no license', (m: Record<string, unknown>) => delete m.license, /license/],
    ['no keywords', (m: Record<string, unknown>) => delete m.keywords, /keywords/],
    [
      'sources in files',
      (m: Record<string, unknown>) => {
        m.files = ['dist', 'src'];
      },
      /must not ship sources/,
    ],
    [
      'a workspace:* dependency',
      (m: Record<string, unknown>) => {
        m.dependencies = { '@latticediff/tensor-network': 'workspace:*' };
      },
      /must be "workspace:\^"/,
    ],
    [
      'a major-line range on a required peer',
      (m: Record<string, unknown>) => {
        m.peerDependencies = { '@latticediff/neural': 'workspace:0.x' };
      },
      /an optional peer may be "workspace:<major>\.x"/,
    ],
    [
      'no check:package script',
      (m: Record<string, unknown>) => {
        m.scripts = { build: 'tsup' };
      },
      /check:package/,
    ],
    [
      'a private package',
      (m: Record<string, unknown>) => {
        m.private = true;
      },
      /"private" is true/,
    ],
  ])('rejects %s', (_label, change, message) => {
    const errors = edit(change);
    expect(
      errors.some((e) => message.test(e)),
      errors.join('\n'),
    ).toBe(true);
  });
});

describe('validatePacked', () => {
  const packed = {
    ...GOOD,
    dependencies: { '@latticediff/tensor-network': '^0.0.0' },
  };
  const files = [
    { path: 'package.json' },
    { path: 'README.md' },
    { path: 'dist/index.d.ts', text: "import type { MPS } from '@latticediff/tensor-network';" },
    {
      path: 'dist/index.js',
      text: [
        '/**',
        " * import { x } from '@latticediff/not-a-dependency';",
        ' */',
        'import { MPS } from "@latticediff/tensor-network";',
        'import { readFileSync } from "fs";',
        'const label = "from" + options.from;',
        'export { MPS };',
      ].join('\n'),
    },
  ];

  it('accepts a clean tarball', () => {
    expect(validatePacked(packed, files)).toEqual([]);
  });

  it('finds a workspace: range that pnpm pack did not rewrite', () => {
    const errors = validatePacked(
      { ...packed, dependencies: { '@latticediff/tensor-network': 'workspace:^' } },
      files,
    );
    expect(errors.join('\n')).toMatch(/workspace:/);
  });

  it('finds test files and sources in the tarball', () => {
    for (const path of ['src/index.ts', 'dist/mps.test.js', 'vitest.config.ts', 'bench/x.js']) {
      expect(isSourceOrTestFile(path), path).toBe(true);
      expect(validatePacked(packed, [...files, { path }]).join('\n')).toContain(path);
    }
    expect(isSourceOrTestFile('dist/testing.js')).toBe(false);
  });

  it('finds a runtime import of a devDependency', () => {
    const errors = validatePacked({ ...packed, devDependencies: { vitest: '4.1.12' } }, [
      ...files,
      { path: 'dist/testing.js', text: "import { expect } from 'vitest';" },
    ]);
    expect(errors.join('\n')).toMatch(/imports "vitest".*only a devDependency/);
  });

  it('finds a declared peer that nothing imports (a tfjs peer would be a lie)', () => {
    const errors = validatePacked(
      { ...packed, peerDependencies: { '@tensorflow/tfjs-core': '^4.22.0' } },
      files,
    );
    expect(errors.join('\n')).toMatch(
      /@tensorflow\/tfjs-core is declared .* no shipped JavaScript/,
    );
  });

  it('finds exports that point outside the tarball and a bin without a shebang', () => {
    const errors = validatePacked(
      { ...packed, bin: { example: './dist/cli.js' } },
      files.concat([{ path: 'dist/cli.js', text: 'console.log(1);' }]),
    );
    expect(errors.join('\n')).toMatch(/does not start with "#!\/usr\/bin\/env node"/);
    const missing = validatePacked(packed, files.slice(0, 3));
    expect(missing.join('\n')).toMatch(/exports\["\."\]\.import points to \.\/dist\/index\.js/);
  });

  it('reads specifiers of static, dynamic and re-export imports', () => {
    expect(
      importedSpecifiers(
        'import a from "x";\nexport { b } from "@s/y/sub";\nawait import("z");\nimport "side";',
      ).sort(),
    ).toEqual(['@s/y/sub', 'side', 'x', 'z']);
    expect(packageOfSpecifier('@s/y/sub')).toBe('@s/y');
    expect(packageOfSpecifier('node:fs')).toBeNull();
    expect(packageOfSpecifier('worker_threads')).toBeNull();
    expect(packageOfSpecifier('./local.js')).toBeNull();
  });
});
