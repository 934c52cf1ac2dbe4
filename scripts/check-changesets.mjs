#!/usr/bin/env node
// The `check:changesets` pipeline task (root): every changed published package has a changeset,
// and a dry run of `changeset version` in a temporary copy bumps each package with a pending
// changeset to the expected version and writes its CHANGELOG, leaving this tree untouched.
// See scripts/changesets.mjs for what "changed" means. Exit code 1 on any problem.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  changesetCoverage,
  git,
  readChangesets,
  versionDryRun,
  workspacePackages,
} from './changesets.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** `git status --porcelain` of, and a hash over, every file that `changeset version` may write. */
function snapshot() {
  const hash = createHash('sha256');
  const files = ['.changeset/config.json', ...readChangesets(root).map((c) => c.file)];
  for (const pkg of workspacePackages(root)) {
    files.push(`${pkg.dir}/package.json`, `${pkg.dir}/CHANGELOG.md`);
  }
  const paths = ['.changeset', ...workspacePackages(root).map((p) => p.dir)].flatMap((d) =>
    d === '.changeset' ? [d] : [`${d}/package.json`, `${d}/CHANGELOG.md`],
  );
  for (const file of files.sort()) {
    hash.update(file);
    hash.update(existsSync(join(root, file)) ? readFileSync(join(root, file)) : '(absent)');
  }
  // git status of the files that changeset version writes (the whole tree's status would also
  // see unrelated edits made while this runs)
  const status = git(root, ['status', '--porcelain', '--untracked-files=all', '--', ...paths]);
  return { status: status ?? '(git status failed)', files: hash.digest('hex') };
}

let failed = false;
const coverage = changesetCoverage(root);
console.log(`changesets: changes counted ${coverage.description} (${coverage.mode} mode)`);
for (const pkg of coverage.packages) {
  const detail =
    pkg.status === 'unchanged' || pkg.status === 'releasing'
      ? ''
      : `: ${pkg.files.slice(0, 3).join(', ')}${pkg.files.length > 3 ? ', ...' : ''}`;
  console.log(`  ${pkg.status.padEnd(9)} ${pkg.name}${detail}`);
}
for (const error of coverage.errors) {
  console.error(`changesets: ${error}`);
  failed = true;
}
for (const name of coverage.missing) {
  console.error(
    `changesets: ${name} changed but has no changeset; run \`pnpm changeset\` and describe the change`,
  );
  failed = true;
}

const before = snapshot();
const dryRun = versionDryRun(root);
const after = snapshot();
for (const r of dryRun.results) {
  console.log(`  changeset version (dry run): ${r.name} ${r.before} -> ${r.after}`);
}
for (const problem of dryRun.problems) {
  console.error(`changeset version (dry run): ${problem}`);
  failed = true;
}
if (before.status !== after.status || before.files !== after.files) {
  console.error('changeset version (dry run) changed the working tree:');
  console.error(`before:\n${before.status}\nafter:\n${after.status}`);
  failed = true;
} else {
  console.log('changeset version (dry run): working tree unchanged (git status and file hashes)');
}
process.exitCode = failed ? 1 : 0;
