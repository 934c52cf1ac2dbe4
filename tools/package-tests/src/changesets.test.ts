/**
 * The changeset checks of scripts/changesets.mjs on temporary git repositories: a change without
 * a changeset is found and named, in release mode (since the release tag) and branch mode (since
 * the merge-base with main); and the `changeset version` dry run checks bumps and changelogs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bumpVersion,
  changesetCoverage,
  isReleaseRelevant,
  parseChangeset,
  plannedBumps,
  versionDryRun,
} from '../../../scripts/changesets.mjs';
import { ROOT } from './workspace';

const fixtures: string[] = [];
afterEach(() => {
  for (const dir of fixtures.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const GIT_CONFIG = [
  ...['-c', 'user.name=test', '-c', 'user.email=test@example.org'],
  ...['-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false'],
];

function sh(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', [...GIT_CONFIG, ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const manifest = (name: string, extra: Record<string, unknown> = {}) =>
  `${JSON.stringify({ name, version: '0.0.0', type: 'module', ...extra }, null, 2)}\n`;

/** A workspace with published @x/a and @x/b (b depends on a) and a private @x/tool. */
function fixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'latticediff-changesets-fixture-'));
  fixtures.push(root);
  sh(root, 'init', '-q', '-b', 'main');
  write(root, 'package.json', manifest('fixture-root', { private: true }));
  write(root, 'pnpm-workspace.yaml', "packages:\n  - packages/*\n  - 'tools/*'\n");
  write(root, '.gitignore', 'node_modules/\n');
  write(
    root,
    '.changeset/config.json',
    JSON.stringify({
      changelog: '@changesets/cli/changelog',
      commit: false,
      fixed: [],
      linked: [],
      access: 'public',
      baseBranch: 'main',
      updateInternalDependencies: 'patch',
      privatePackages: { version: false, tag: false },
      ignore: [],
    }),
  );
  write(root, 'packages/a/package.json', manifest('@x/a'));
  write(root, 'packages/a/src/index.ts', 'export const a = 1;\n');
  write(
    root,
    'packages/b/package.json',
    manifest('@x/b', { dependencies: { '@x/a': 'workspace:^' } }),
  );
  write(root, 'packages/b/src/index.ts', 'export const b = 2;\n');
  write(
    root,
    'tools/tool/package.json',
    manifest('@x/tool', { private: true, devDependencies: { '@x/a': 'workspace:*' } }),
  );
  return root;
}

const changeset = (releases: Record<string, string>, summary: string) =>
  `---\n${Object.entries(releases)
    .map(([n, t]) => `"${n}": ${t}`)
    .join('\n')}\n---\n\n${summary}\n`;

/** Releases @x/a and @x/b as 0.1.0: version commit with changelogs, then the tags. */
function release(root: string): void {
  for (const name of ['a', 'b']) {
    write(root, `packages/${name}/package.json`, manifest(`@x/${name}`, { version: '0.1.0' }));
    write(root, `packages/${name}/CHANGELOG.md`, `# @x/${name}\n\n## 0.1.0\n\n- first\n`);
  }
  rmSync(join(root, '.changeset/first.md'), { force: true });
  sh(root, 'add', '-A');
  sh(root, 'commit', '-q', '-m', 'version packages');
  sh(root, 'tag', '@x/a@0.1.0');
  sh(root, 'tag', '@x/b@0.1.0');
}

const statusOf = (root: string, options?: { baseRef?: string }) =>
  Object.fromEntries(changesetCoverage(root, options).packages.map((p) => [p.name, p.status]));

describe('changesetCoverage, release mode (on main)', () => {
  it('names a never released package without a pending changeset', () => {
    const root = fixture();
    sh(root, 'add', '-A');
    sh(root, 'commit', '-q', '-m', 'init');
    const coverage = changesetCoverage(root);
    expect(coverage.mode).toBe('release');
    expect(coverage.missing).toEqual(['@x/a', '@x/b']);
    write(root, '.changeset/first.md', changeset({ '@x/a': 'minor' }, 'First a.'));
    expect(changesetCoverage(root).missing).toEqual(['@x/b']);
    write(root, '.changeset/first.md', changeset({ '@x/a': 'minor', '@x/b': 'minor' }, 'First.'));
    expect(changesetCoverage(root).missing).toEqual([]);
    expect(statusOf(root)).toEqual({ '@x/a': 'covered', '@x/b': 'covered' });
  });

  it('compares with the release tag and ignores tests', () => {
    const root = fixture();
    write(root, '.changeset/first.md', changeset({ '@x/a': 'minor', '@x/b': 'minor' }, 'First.'));
    sh(root, 'add', '-A');
    sh(root, 'commit', '-q', '-m', 'init');
    release(root);
    expect(statusOf(root)).toEqual({ '@x/a': 'unchanged', '@x/b': 'unchanged' });
    write(root, 'packages/a/src/index.test.ts', 'test\n');
    expect(statusOf(root)['@x/a']).toBe('unchanged');
    write(root, 'packages/a/src/index.ts', 'export const a = 3;\n');
    sh(root, 'add', '-A');
    sh(root, 'commit', '-q', '-m', 'change a');
    const coverage = changesetCoverage(root);
    expect(coverage.missing).toEqual(['@x/a']);
    expect(coverage.packages.find((p) => p.name === '@x/a')?.files).toEqual([
      'packages/a/src/index.ts',
    ]);
    // an untracked new file counts too
    write(root, 'packages/b/src/new.ts', 'export {};\n');
    expect(changesetCoverage(root).missing).toEqual(['@x/a', '@x/b']);
    write(root, '.changeset/fix.md', changeset({ '@x/a': 'patch', '@x/b': 'patch' }, 'Fix.'));
    expect(changesetCoverage(root).missing).toEqual([]);
  });

  it('treats a versioned but unpublished package (no tag yet) as released', () => {
    const root = fixture();
    sh(root, 'add', '-A');
    sh(root, 'commit', '-q', '-m', 'init');
    release(root);
    sh(root, 'tag', '-d', '@x/a@0.1.0');
    expect(statusOf(root)['@x/a']).toBe('releasing');
  });

  it('reports changesets that name unknown or private packages', () => {
    const root = fixture();
    write(root, '.changeset/bad.md', changeset({ '@x/nope': 'patch', '@x/tool': 'patch' }, 'x'));
    sh(root, 'add', '-A');
    sh(root, 'commit', '-q', '-m', 'init');
    const { errors } = changesetCoverage(root);
    expect(errors.join('\n')).toMatch(/@x\/nope, not a workspace package/);
    expect(errors.join('\n')).toMatch(/@x\/tool, a private package/);
  });
});

describe('changesetCoverage, branch mode', () => {
  it('counts changes and changesets since the merge-base with main', () => {
    const root = fixture();
    // main: b has a pending changeset already (not yet released)
    write(root, '.changeset/first.md', changeset({ '@x/a': 'minor', '@x/b': 'minor' }, 'First.'));
    sh(root, 'add', '-A');
    sh(root, 'commit', '-q', '-m', 'init');
    sh(root, 'checkout', '-q', '-b', 'feature');
    expect(changesetCoverage(root).mode).toBe('branch');
    expect(statusOf(root)).toEqual({ '@x/a': 'unchanged', '@x/b': 'unchanged' });
    write(root, 'packages/b/src/index.ts', 'export const b = 5;\n');
    sh(root, 'commit', '-q', '-am', 'change b');
    // the changeset from main does not cover the branch's change
    expect(changesetCoverage(root).missing).toEqual(['@x/b']);
    // the private tool never needs one
    write(root, 'tools/tool/index.js', 'export {};\n');
    expect(changesetCoverage(root).missing).toEqual(['@x/b']);
    write(root, '.changeset/branch.md', changeset({ '@x/b': 'patch' }, 'Change b.'));
    expect(changesetCoverage(root).missing).toEqual([]);
    // an explicit base works from any branch
    expect(changesetCoverage(root, { baseRef: 'main' }).missing).toEqual([]);
  });
});

describe('changeset helpers', () => {
  it('parses changesets and plans the highest bump', () => {
    const parsed = parseChangeset(changeset({ '@x/a': 'minor', '@x/b': 'patch' }, 'Text.'));
    expect(parsed).toEqual({
      releases: [
        { name: '@x/a', type: 'minor' },
        { name: '@x/b', type: 'patch' },
      ],
      summary: 'Text.',
    });
    expect(() => parseChangeset('no front matter', 'x.md')).toThrow(/x\.md: no front matter/);
    expect(() => parseChangeset('---\n"@x/a": huge\n---\n', 'y.md')).toThrow(/y\.md/);
    const bumps = plannedBumps([
      parsed,
      parseChangeset(changeset({ '@x/b': 'major' }, 'Big.')),
      parseChangeset(changeset({ '@x/a': 'patch' }, 'Small.')),
    ]);
    expect(Object.fromEntries(bumps)).toEqual({ '@x/a': 'minor', '@x/b': 'major' });
    expect(bumpVersion('0.0.0', 'minor')).toBe('0.1.0');
    expect(bumpVersion('1.2.3', 'patch')).toBe('1.2.4');
    expect(bumpVersion('1.2.3', 'major')).toBe('2.0.0');
    expect(isReleaseRelevant('src/mps.ts')).toBe(true);
    expect(isReleaseRelevant('README.md')).toBe(true);
    expect(isReleaseRelevant('src/mps.test.ts')).toBe(false);
    expect(isReleaseRelevant('bench/bench.ts')).toBe(false);
    expect(isReleaseRelevant('CHANGELOG.md')).toBe(false);
  });
});

describe('versionDryRun', () => {
  function versionFixture(): string {
    const root = fixture();
    write(root, '.changeset/a-feature.md', changeset({ '@x/a': 'minor' }, 'A new feature of a.'));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    return root;
  }

  it('bumps, writes changelogs, leaves private packages and the tree alone', () => {
    const root = versionFixture();
    const { problems, results } = versionDryRun(root);
    expect(problems).toEqual([]);
    expect(results).toEqual([
      { name: '@x/a', before: '0.0.0', after: '0.1.0', expected: '0.1.0' },
      // b depends on a with ^0.0.0, which 0.1.0 leaves: a patch release of b
      { name: '@x/b', before: '0.0.0', after: '0.0.1', expected: '0.0.1' },
    ]);
  });

  it('reports a version command that does not bump', () => {
    const root = versionFixture();
    const fake = join(root, 'fake-changeset.mjs');
    writeFileSync(fake, 'process.exit(0);\n');
    const { problems } = versionDryRun(root, { changesetBin: fake });
    expect(problems.join('\n')).toMatch(/@x\/a: expected 0\.0\.0 -> 0\.1\.0 \(minor changesets\)/);
    expect(problems.join('\n')).toMatch(/left changesets behind/);
  });

  it('reports a failing version command', () => {
    const root = versionFixture();
    const fake = join(root, 'fake-changeset.mjs');
    writeFileSync(fake, 'console.error("boom"); process.exit(3);\n');
    expect(versionDryRun(root, { changesetBin: fake }).problems.join('\n')).toMatch(
      /changeset version failed \(exit 3\)[\s\S]*boom/,
    );
  });
});
