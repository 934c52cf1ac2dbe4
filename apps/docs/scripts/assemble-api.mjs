#!/usr/bin/env node
/**
 * Assembles the API reference of the site: copies every published @latticediff package's
 * generated `api-docs/` (its turbo `docs` task, see api-docs.mjs) into docs/api/<package>/ and
 * writes docs/api/index.md. docs/api is generated (gitignored); `pnpm --filter @latticediff/docs
 * build` (turbo: after ^docs) runs this before `vitepress build`.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, '..');
const target = join(app, '..', '..', 'docs', 'api');
const require = createRequire(join(app, 'package.json'));
const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));

const packages = Object.keys(manifest.dependencies ?? {})
  .filter((name) => name.startsWith('@latticediff/'))
  .map((name) => {
    const dir = dirname(require.resolve(`${name}/package.json`));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return { name, dir, pkg, slug: name.replace(/^@latticediff\//, '') };
  })
  .filter(({ pkg }) => pkg.private !== true)
  .sort((a, b) => a.slug.localeCompare(b.slug));

/**
 * package.json descriptions are plain text for npm, with TeX-like fragments such as `q^{A/2}`:
 * on the site they become inline math (`$q^{A/2}$`) instead of showing the raw braces.
 */
function mathInProse(text) {
  return text.replace(/(?<![$\w])([A-Za-z0-9]+(?:[_^]\{[^{}\s]*\})+)(?![$\w])/g, '$$$1$$');
}

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const { name, dir, slug } of packages) {
  const source = join(dir, 'api-docs');
  if (!existsSync(join(source, 'index.md'))) {
    console.error(
      `assemble-api: ${source}/index.md is missing: generate the reference of ${name} first (turbo run docs, or pnpm --filter ${name} docs)`,
    );
    process.exit(1);
  }
  cpSync(source, join(target, slug), {
    recursive: true,
    filter: (path) => !path.endsWith('symbols.json'),
  });
}

const rows = packages.map(({ name, pkg, slug }) => {
  const entries = Object.keys(pkg.exports ?? {}).filter(
    (k) => k !== './package.json' && !k.endsWith('.json'),
  );
  const subpaths = entries
    .map((k) => (k === '.' ? name : `${name}/${k.replace(/^\.\//, '')}`))
    .map((s) => `\`${s}\``)
    .join(', ');
  const description = mathInProse(String(pkg.description ?? '')).replace(/\|/g, '\\|');
  return `| [${name}](./${slug}/) | ${subpaths} | ${description} |`;
});

writeFileSync(
  join(target, 'index.md'),
  `---
title: API reference
---

# API reference

Generated from the TSDoc comments of every public export of the published packages, entry point by
entry point (the \`exports\` map of each package). Types that come from another latticediff package
link to its page.

| Package | Entry points | What it is for |
| --- | --- | --- |
${rows.join('\n')}
`,
);
console.log(`assemble-api: ${packages.length} packages -> docs/api/`);
