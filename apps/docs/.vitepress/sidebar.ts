/**
 * The sidebar, made by scanning the docs folder when the site is built: every page of a section
 * folder appears (a contributed model adds docs/models/<id>.md and is listed without editing the
 * config), titled by its frontmatter `title:` or its first `# ` heading. Missing folders or files
 * simply do not appear.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { DefaultTheme } from 'vitepress';

/** The page title: frontmatter `title:`, else the first `# ` heading, else the file name. */
export function pageTitle(file: string): string {
  const text = readFileSync(file, 'utf8');
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (front) {
    const title = /^title:\s*(.+)$/m.exec(front[1]!);
    if (title) return title[1]!.trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  const body = front ? text.slice(front[0].length) : text;
  const heading = /^#\s+(.+)$/m.exec(body.replace(/```[\s\S]*?```/g, ''));
  if (heading) return heading[1]!.replace(/\s*\{#[^}]*\}\s*$/, '').trim();
  return basename(file, '.md');
}

/** `order:` in frontmatter (smaller first), default 100. */
function pageOrder(file: string): number {
  const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readFileSync(file, 'utf8'));
  const order = front ? /^order:\s*(-?\d+(?:\.\d+)?)\s*$/m.exec(front[1]!) : null;
  return order ? Number(order[1]) : 100;
}

function link(srcDir: string, file: string): string {
  const path = relative(srcDir, file).replace(/\\/g, '/').replace(/\.md$/, '');
  return `/${path.replace(/(^|\/)index$/, '$1')}`;
}

/**
 * The pages of one folder: index.md first, then the others by `order:` and title, or in the
 * order of `preferred` (file names without .md) where given.
 */
export function folderItems(
  srcDir: string,
  folder: string,
  preferred: readonly string[] = [],
): DefaultTheme.SidebarItem[] {
  const dir = join(srcDir, folder);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.md') && statSync(join(dir, f)).isFile())
    .map((f) => join(dir, f));
  const rank = (file: string) => {
    const name = basename(file, '.md');
    if (name === 'index') return -1;
    const i = preferred.indexOf(name);
    return i >= 0 ? i : preferred.length;
  };
  return files
    .map((file) => ({ file, title: pageTitle(file), order: pageOrder(file), rank: rank(file) }))
    .sort((a, b) => a.rank - b.rank || a.order - b.order || a.title.localeCompare(b.title))
    .map(({ file, title }) => ({ text: title, link: link(srcDir, file) }));
}

function section(
  srcDir: string,
  text: string,
  folder: string,
  preferred: readonly string[] = [],
): DefaultTheme.SidebarItem[] {
  const items = folderItems(srcDir, folder, preferred);
  return items.length > 0 ? [{ text, items }] : [];
}

function page(srcDir: string, file: string, text?: string): DefaultTheme.SidebarItem[] {
  const path = join(srcDir, file);
  return existsSync(path) ? [{ text: text ?? pageTitle(path), link: link(srcDir, path) }] : [];
}

/** The API reference: docs/api/<package>/ folders (assembled by scripts/assemble-api.mjs). */
export function apiItems(srcDir: string): DefaultTheme.SidebarItem[] {
  const dir = join(srcDir, 'api');
  if (!existsSync(dir)) return [];
  const packages = readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory())
    .sort();
  const kinds: [string, string][] = [
    ['classes', 'Classes'],
    ['functions', 'Functions'],
    ['interfaces', 'Interfaces'],
    ['type-aliases', 'Types'],
    ['variables', 'Constants'],
    ['enumerations', 'Enumerations'],
  ];
  const groups = (base: string): DefaultTheme.SidebarItem[] =>
    kinds
      .filter(([kind]) => existsSync(join(base, kind)))
      .map(([kind, text]) => ({
        text,
        collapsed: true,
        items: readdirSync(join(base, kind))
          .filter((f) => f.endsWith('.md'))
          .sort((a, b) => a.localeCompare(b))
          .map((f) => ({ text: basename(f, '.md'), link: link(srcDir, join(base, kind, f)) })),
      }));
  return packages.map((name) => {
    const base = join(dir, name);
    const modules = readdirSync(base).filter(
      (d) => statSync(join(base, d)).isDirectory() && !kinds.some(([k]) => k === d),
    );
    const items =
      modules.length > 0
        ? modules.sort().map((m) => ({
            text: m === 'index' ? 'main entry' : `entry ./${m}`,
            link: link(srcDir, join(base, m, 'index.md')),
            collapsed: true,
            items: groups(join(base, m)),
          }))
        : groups(base);
    return {
      text: `@latticediff/${name}`,
      link: link(srcDir, join(base, 'index.md')),
      collapsed: true,
      items,
    };
  });
}

export function sidebar(srcDir: string): DefaultTheme.SidebarMulti {
  const docs: DefaultTheme.SidebarItem[] = [
    {
      text: 'Introduction',
      items: [...page(srcDir, 'getting-started.md'), ...page(srcDir, 'benchmarks.md')],
    },
    ...section(srcDir, 'Concepts', 'concepts', [
      'probability-mps',
      'noise',
      'denoising',
      'monte-carlo',
      'learning',
    ]),
    ...section(srcDir, 'Guide', 'guide', [
      'tensor-network',
      'markov-jump',
      'lattice',
      'monte-carlo',
      'cli',
      'choosing-a-proposal',
    ]),
    ...section(srcDir, 'Models', 'models', ['ising', 'fredkin']).map((s) => ({
      ...s,
      // the contribution guide last, every model page (contributed ones too) before it
      items: [
        ...(s.items ?? []).filter((i) => i.link !== '/models/contribute'),
        ...(s.items ?? []).filter((i) => i.link === '/models/contribute'),
      ],
    })),
    ...section(srcDir, 'Live demos', 'demos', ['ising', 'fredkin']),
  ].filter((s) => s.items === undefined || s.items.length > 0);
  // API pages: one sidebar per package (its own pages expanded, the other packages as links), so
  // that a page does not carry every package's entries
  const api = apiItems(srcDir);
  const packageLinks = api.map(({ text, link }) => ({ text, link }));
  const result: DefaultTheme.SidebarMulti = {
    '/': docs,
    '/api/': [{ text: 'API reference', link: '/api/', items: packageLinks }],
  };
  for (const entry of api) {
    result[entry.link!] = [
      {
        text: 'API reference',
        link: '/api/',
        items: api.map((other) =>
          other === entry ? { ...entry, collapsed: false } : { text: other.text, link: other.link },
        ),
      },
    ];
  }
  return result;
}
