// Release bookkeeping of the workspace: which published packages changed without a changeset,
// and a dry run of `changeset version` in a temporary copy. Used by scripts/check-changesets.mjs
// (the `check:changesets` pipeline task) and tested in tools/package-tests.
//
// "Changed" means:
// - on a branch other than the base branch (.changeset/config.json "baseBranch", "main"):
//   changed since the merge-base with the base branch (committed, staged, unstaged or
//   untracked), and only changesets added or edited on the branch count;
// - on the base branch (or without a local base branch, or with a detached HEAD): changed since
//   the package's release tag `<name>@<version>` (what `changeset publish` creates). A package
//   without that tag is either versioned but not yet published (its CHANGELOG.md has a
//   `## <version>` heading: covered by that release) or never released (then it needs a
//   pending changeset). Every pending changeset counts.
// Files that do not change what is published are ignored: tests, benchmarks, the vitest
// configuration and the generated CHANGELOG.md. A package whose version differs from the base
// (a version bump in progress) is covered by that release.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Runs git in `cwd`; returns stdout (trimmed end) or null when git fails. */
export function git(cwd, args) {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  return result.status === 0 ? result.stdout.replace(/\s+$/, '') : null;
}

/** The `packages:` globs of pnpm-workspace.yaml (a plain YAML list). */
export function workspaceGlobs(root) {
  const text = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [];
  let inPackages = false;
  for (const line of text.split('\n')) {
    if (/^packages:\s*$/.test(line)) {
      inPackages = true;
      continue;
    }
    if (inPackages) {
      const item = line.match(/^\s+-\s*['"]?([^'"#]+?)['"]?\s*(#.*)?$/);
      if (item) globs.push(item[1]);
      else if (/^\S/.test(line)) inPackages = false;
    }
  }
  return globs;
}

function expandGlob(root, glob) {
  const parts = glob.replace(/\/$/, '').split('/');
  let dirs = [''];
  for (const part of parts) {
    const next = [];
    for (const dir of dirs) {
      if (part === '*' || part === '**') {
        const base = join(root, dir);
        if (!existsSync(base)) continue;
        for (const entry of readdirSync(base, { withFileTypes: true })) {
          if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
            next.push(dir ? `${dir}/${entry.name}` : entry.name);
        }
        if (part === '**') next.push(dir);
      } else if (part.includes('*')) {
        throw new Error(`pnpm-workspace.yaml: unsupported glob ${JSON.stringify(glob)}`);
      } else {
        next.push(dir ? `${dir}/${part}` : part);
      }
    }
    dirs = next;
  }
  return dirs;
}

/**
 * The workspace packages (without the root): { name, version, private, dir (relative, forward
 * slashes), manifest }, sorted by dir.
 */
export function workspacePackages(root) {
  const included = new Set();
  const excluded = new Set();
  for (const glob of workspaceGlobs(root)) {
    if (glob.startsWith('!')) for (const d of expandGlob(root, glob.slice(1))) excluded.add(d);
    else for (const d of expandGlob(root, glob)) included.add(d);
  }
  const packages = [];
  for (const dir of [...included].sort()) {
    if (excluded.has(dir) || dir === '') continue;
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    packages.push({
      name: manifest.name,
      version: manifest.version,
      private: manifest.private === true,
      dir,
      manifest,
    });
  }
  return packages;
}

/** Parses a changeset file: front matter of `"name": bump` lines, then the summary. */
export function parseChangeset(text, file = 'changeset') {
  const match = text.match(/^\s*---\r?\n([\s\S]*?)\r?\n?---\r?\n?([\s\S]*)$/);
  if (!match) throw new Error(`${file}: no front matter (--- ... ---)`);
  const releases = [];
  for (const line of match[1].split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const release = line.match(/^\s*(['"]?)([^'":]+)\1\s*:\s*(major|minor|patch|none)\s*$/);
    if (!release) throw new Error(`${file}: cannot read the release line ${JSON.stringify(line)}`);
    releases.push({ name: release[2], type: release[3] });
  }
  return { releases, summary: match[2].trim() };
}

/** The pending changesets in .changeset/ (every .md file except README.md). */
export function readChangesets(root) {
  const directory = join(root, '.changeset');
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
    .sort()
    .map((f) => ({
      file: `.changeset/${f}`,
      ...parseChangeset(readFileSync(join(directory, f), 'utf8'), `.changeset/${f}`),
    }));
}

/** .changeset/config.json (with defaults for the fields used here). */
export function readChangesetConfig(root) {
  const file = join(root, '.changeset', 'config.json');
  const config = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  return { baseBranch: 'main', ignore: [], ...config };
}

const IRRELEVANT = [
  /\.(test|spec)\.[cm]?[jt]sx?$/,
  /(^|\/)(__tests__|bench|bench-results|test-results)\//,
  /(^|\/)vitest\.config\.[cm]?[jt]s$/,
  /(^|\/)CHANGELOG\.md$/,
];

/** True when a file (relative to its package) changes what the package publishes. */
export function isReleaseRelevant(pathInPackage) {
  return !IRRELEVANT.some((pattern) => pattern.test(pathInPackage));
}

function versionAt(root, ref, dir) {
  const text = git(root, ['show', `${ref}:${dir}/package.json`]);
  if (text === null) return null;
  try {
    return JSON.parse(text).version ?? null;
  } catch {
    return null;
  }
}

function untracked(root, paths) {
  const out = git(root, ['ls-files', '--others', '--exclude-standard', '--', ...paths]);
  return out ? out.split('\n').filter(Boolean) : [];
}

function changedSince(root, ref, paths) {
  const diff = git(root, ['diff', '--name-only', ref, '--', ...paths]);
  if (diff === null) throw new Error(`git diff --name-only ${ref} failed`);
  return [...new Set([...diff.split('\n').filter(Boolean), ...untracked(root, paths)])];
}

/**
 * Decides the comparison mode. `baseRef` (or the env LATTICEDIFF_CHANGESET_BASE) forces branch
 * mode against that ref.
 */
export function comparisonMode(root, { baseRef, baseBranch = 'main' } = {}) {
  const forced = baseRef ?? process.env.LATTICEDIFF_CHANGESET_BASE;
  if (forced) {
    const base = git(root, ['merge-base', 'HEAD', forced]);
    if (!base) throw new Error(`cannot find the merge-base of HEAD and ${forced}`);
    return { mode: 'branch', base, description: `since the merge-base with ${forced}` };
  }
  const branch = git(root, ['rev-parse', '--abbrev-ref', 'HEAD']);
  const hasBase = git(root, ['rev-parse', '--verify', '--quiet', `refs/heads/${baseBranch}`]);
  if (branch && branch !== 'HEAD' && branch !== baseBranch && hasBase) {
    const base = git(root, ['merge-base', 'HEAD', baseBranch]);
    if (!base) throw new Error(`cannot find the merge-base of HEAD and ${baseBranch}`);
    return { mode: 'branch', base, description: `since the merge-base with ${baseBranch}` };
  }
  return { mode: 'release', description: 'since each package’s release tag <name>@<version>' };
}

/**
 * Which published packages changed without a changeset. Returns { mode, description, packages:
 * [{ name, dir, status, files }], missing: [names], errors: [messages] }. `status` is one of
 * 'unchanged', 'covered', 'releasing', 'missing'.
 */
export function changesetCoverage(root, options = {}) {
  const config = readChangesetConfig(root);
  const packages = workspacePackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));
  const errors = [];
  const changesets = readChangesets(root);
  for (const changeset of changesets) {
    for (const release of changeset.releases) {
      const target = byName.get(release.name);
      if (!target) errors.push(`${changeset.file} names ${release.name}, not a workspace package`);
      else if (target.private)
        errors.push(`${changeset.file} names ${release.name}, a private package (never released)`);
    }
  }
  const { mode, base, description } = comparisonMode(root, {
    baseRef: options.baseRef,
    baseBranch: config.baseBranch,
  });
  let counted = changesets;
  if (mode === 'branch') {
    const touched = new Set(changedSince(root, base, ['.changeset']));
    counted = changesets.filter((c) => touched.has(c.file));
  }
  const named = new Set(
    counted.flatMap((c) => c.releases.filter((r) => r.type !== 'none').map((r) => r.name)),
  );

  const report = [];
  for (const pkg of packages) {
    if (pkg.private || config.ignore.includes(pkg.name)) continue;
    let ref = base;
    let neverReleased = false;
    if (mode === 'release') {
      const tag = `${pkg.name}@${pkg.version}`;
      if (git(root, ['rev-parse', '--verify', '--quiet', `refs/tags/${tag}`])) {
        ref = `refs/tags/${tag}`;
      } else {
        const changelog = join(root, pkg.dir, 'CHANGELOG.md');
        const versioned =
          existsSync(changelog) &&
          readFileSync(changelog, 'utf8').split('\n').includes(`## ${pkg.version}`);
        if (versioned) {
          report.push({ name: pkg.name, dir: pkg.dir, status: 'releasing', files: [] });
          continue;
        }
        neverReleased = true;
      }
    }
    if (!neverReleased) {
      const baseVersion = versionAt(root, ref, pkg.dir);
      if (baseVersion !== null && baseVersion !== pkg.version) {
        report.push({ name: pkg.name, dir: pkg.dir, status: 'releasing', files: [] });
        continue;
      }
    }
    const files = neverReleased
      ? ['(never released)']
      : changedSince(root, ref, [pkg.dir]).filter((f) =>
          isReleaseRelevant(f.slice(pkg.dir.length + 1)),
        );
    const status = files.length === 0 ? 'unchanged' : named.has(pkg.name) ? 'covered' : 'missing';
    report.push({ name: pkg.name, dir: pkg.dir, status, files });
  }
  return {
    mode,
    description,
    packages: report,
    missing: report.filter((p) => p.status === 'missing').map((p) => p.name),
    errors,
  };
}

const BUMPS = ['none', 'patch', 'minor', 'major'];

/** The version after a bump of `type` (no pre-releases). */
export function bumpVersion(version, type) {
  const [major, minor, patch] = version.split('-')[0].split('.').map(Number);
  if (type === 'major') return `${major + 1}.0.0`;
  if (type === 'minor') return `${major}.${minor + 1}.0`;
  if (type === 'patch') return `${major}.${minor}.${patch + 1}`;
  return version;
}

/** The highest bump that the pending changesets ask for, per package name. */
export function plannedBumps(changesets) {
  const bumps = new Map();
  for (const changeset of changesets) {
    for (const { name, type } of changeset.releases) {
      const current = bumps.get(name) ?? 'none';
      if (BUMPS.indexOf(type) > BUMPS.indexOf(current)) bumps.set(name, type);
    }
  }
  return bumps;
}

/**
 * Runs `changeset version` in a temporary copy of the release-relevant files (root manifest,
 * pnpm-workspace.yaml, .changeset/, every workspace package.json and CHANGELOG.md) and checks the
 * result. Returns { problems, results: [{ name, before, after, expected }] }.
 */
export function versionDryRun(root, { changesetBin } = {}) {
  const bin = changesetBin ?? join(root, 'node_modules', '@changesets', 'cli', 'bin.js');
  const packages = workspacePackages(root);
  const changesets = readChangesets(root);
  const bumps = plannedBumps(changesets);
  const work = mkdtempSync(join(tmpdir(), 'latticediff-changeset-version-'));
  const problems = [];
  const results = [];
  try {
    const copy = (relative) => {
      const from = join(root, relative);
      if (!existsSync(from)) return;
      mkdirSync(dirname(join(work, relative)), { recursive: true });
      cpSync(from, join(work, relative), { recursive: true });
    };
    copy('package.json');
    copy('pnpm-workspace.yaml');
    copy('.changeset');
    for (const pkg of packages) {
      copy(`${pkg.dir}/package.json`);
      copy(`${pkg.dir}/CHANGELOG.md`);
    }
    // the changelog generator (@changesets/cli/changelog) is resolved from the copy
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    const run = spawnSync(process.execPath, [bin, 'version'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    if (run.status !== 0) {
      problems.push(`changeset version failed (exit ${run.status}):\n${run.stderr}${run.stdout}`);
      return { problems, results };
    }
    const after = new Map(workspacePackages(work).map((p) => [p.name, p]));
    const bumpedNames = new Set();
    for (const pkg of packages) {
      const next = after.get(pkg.name);
      if (next && next.version !== pkg.version) bumpedNames.add(pkg.name);
    }
    for (const pkg of packages) {
      const next = after.get(pkg.name);
      const type = bumps.get(pkg.name) ?? 'none';
      const changelogFile = join(work, pkg.dir, 'CHANGELOG.md');
      const changelog = existsSync(changelogFile) ? readFileSync(changelogFile, 'utf8') : null;
      if (!next) {
        problems.push(`${pkg.name}: its package.json disappeared`);
        continue;
      }
      if (pkg.private) {
        const unchanged = readFileSync(join(work, pkg.dir, 'package.json'), 'utf8');
        if (unchanged !== readFileSync(join(root, pkg.dir, 'package.json'), 'utf8'))
          problems.push(`${pkg.name} is private but changeset version rewrote its package.json`);
        if (changelog !== null && !existsSync(join(root, pkg.dir, 'CHANGELOG.md')))
          problems.push(`${pkg.name} is private but changeset version wrote a CHANGELOG.md`);
        continue;
      }
      let expected = bumpVersion(pkg.version, type);
      if (type === 'none') {
        const internal = Object.keys({
          ...pkg.manifest.dependencies,
          ...pkg.manifest.peerDependencies,
        }).filter((d) => bumpedNames.has(d));
        // a dependency bumped out of the ^ range makes a patch release of the dependent
        if (internal.length > 0 && next.version !== pkg.version)
          expected = bumpVersion(pkg.version, 'patch');
      }
      results.push({ name: pkg.name, before: pkg.version, after: next.version, expected });
      if (next.version !== expected) {
        problems.push(
          `${pkg.name}: expected ${pkg.version} -> ${expected} (${type} changesets), changeset version wrote ${next.version}`,
        );
        continue;
      }
      if (expected !== pkg.version) {
        if (changelog === null || !changelog.split('\n').includes(`## ${expected}`)) {
          problems.push(`${pkg.name}: CHANGELOG.md has no "## ${expected}" section`);
          continue;
        }
        for (const changeset of changesets) {
          if (!changeset.releases.some((r) => r.name === pkg.name && r.type !== 'none')) continue;
          // compare letters and digits only: the changelog is formatted (escapes, rewrapping)
          const words = (text) => text.replace(/[^A-Za-z0-9]+/g, '');
          if (!words(changelog).includes(words(changeset.summary)))
            problems.push(
              `${pkg.name}: CHANGELOG.md does not contain the summary of ${changeset.file}`,
            );
        }
      }
    }
    const left = readChangesets(work).map((c) => c.file);
    if (left.length > 0) problems.push(`changeset version left changesets behind: ${left}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { problems, results };
}
