/** The sidebar is made by scanning the docs folder: new pages appear without editing the config. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiItems, folderItems, pageTitle, sidebar } from '../.vitepress/sidebar';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function site(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'latticediff-sidebar-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('sidebar', () => {
  it('titles pages by frontmatter title, else the first heading, else the file name', () => {
    const root = site({
      'a.md': '---\ntitle: "Frontmatter title"\n---\n# Heading\n',
      'b.md': '---\norder: 2\n---\n\n```sh\n# not a heading\n```\n\n# The heading {#anchor}\n',
      'c.md': 'no heading\n',
    });
    expect(pageTitle(join(root, 'a.md'))).toBe('Frontmatter title');
    expect(pageTitle(join(root, 'b.md'))).toBe('The heading');
    expect(pageTitle(join(root, 'c.md'))).toBe('c');
  });

  it('lists every model page, a contributed one included, with the contribution guide last', () => {
    const root = site({
      'models/index.md': '# Models\n',
      'models/ising.md': '# 2D Ising model\n',
      'models/fredkin.md': '# Fredkin chain\n',
      'models/contribute.md': '# Contribute a lattice model\n',
      'models/potts.md': '---\ntitle: q-state Potts model\n---\n',
    });
    const models = (sidebar(root) as Record<string, { text?: string; items?: unknown[] }[]>)[
      '/'
    ]!.find((s) => s.text === 'Models')!;
    expect(models.items).toEqual([
      { text: 'Models', link: '/models/' },
      { text: '2D Ising model', link: '/models/ising' },
      { text: 'Fredkin chain', link: '/models/fredkin' },
      { text: 'q-state Potts model', link: '/models/potts' },
      { text: 'Contribute a lattice model', link: '/models/contribute' },
    ]);
  });

  it('leaves out folders and pages that do not exist', () => {
    const root = site({ 'getting-started.md': '# Getting started\n' });
    const docs = sidebar(root)['/'] as { text?: string }[];
    expect(docs.map((s) => s.text)).toEqual(['Introduction']);
    expect(folderItems(root, 'models')).toEqual([]);
    expect(apiItems(root)).toEqual([]);
  });

  it('gives every API package its own sidebar, the other packages as links', () => {
    const root = site({
      'api/index.md': '# API\n',
      'api/lattice/index.md': '# l\n',
      'api/lattice/functions/chain.md': '# chain\n',
      'api/markov-jump/index.md': '# m\n',
      'api/markov-jump/functions/denoise.md': '# denoise\n',
    });
    const bar = sidebar(root);
    const links = [
      { text: '@latticediff/lattice', link: '/api/lattice/' },
      { text: '@latticediff/markov-jump', link: '/api/markov-jump/' },
    ];
    expect(bar['/api/']).toEqual([{ text: 'API reference', link: '/api/', items: links }]);
    expect(bar['/api/markov-jump/']).toEqual([
      {
        text: 'API reference',
        link: '/api/',
        items: [
          links[0],
          {
            ...links[1],
            collapsed: false,
            items: [
              {
                text: 'Functions',
                collapsed: true,
                items: [{ text: 'denoise', link: '/api/markov-jump/functions/denoise' }],
              },
            ],
          },
        ],
      },
    ]);
  });

  it('groups the API reference by package, entry point and kind', () => {
    const root = site({
      'api/index.md': '# API\n',
      'api/markov-jump/index.md': '# m\n',
      'api/markov-jump/functions/denoise.md': '# denoise\n',
      'api/lattice/index.md': '# l\n',
      'api/lattice/index/index.md': '# l\n',
      'api/lattice/index/interfaces/LatticeModel.md': '# LatticeModel\n',
      'api/lattice/testing/index.md': '# t\n',
      'api/lattice/testing/functions/describeLatticeModel.md': '# d\n',
    });
    expect(apiItems(root)).toEqual([
      {
        text: '@latticediff/lattice',
        link: '/api/lattice/',
        collapsed: true,
        items: [
          {
            text: 'main entry',
            link: '/api/lattice/index/',
            collapsed: true,
            items: [
              {
                text: 'Interfaces',
                collapsed: true,
                items: [
                  { text: 'LatticeModel', link: '/api/lattice/index/interfaces/LatticeModel' },
                ],
              },
            ],
          },
          {
            text: 'entry ./testing',
            link: '/api/lattice/testing/',
            collapsed: true,
            items: [
              {
                text: 'Functions',
                collapsed: true,
                items: [
                  {
                    text: 'describeLatticeModel',
                    link: '/api/lattice/testing/functions/describeLatticeModel',
                  },
                ],
              },
            ],
          },
        ],
      },
      {
        text: '@latticediff/markov-jump',
        link: '/api/markov-jump/',
        collapsed: true,
        items: [
          {
            text: 'Functions',
            collapsed: true,
            items: [{ text: 'denoise', link: '/api/markov-jump/functions/denoise' }],
          },
        ],
      },
    ]);
  });
});
