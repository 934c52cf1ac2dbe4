import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';
import { sidebar } from './sidebar';

/** The prose lives in the repository's top-level docs/ folder. */
const srcDir = fileURLToPath(new URL('../../../docs', import.meta.url));
const has = (file: string) => existsSync(`${srcDir}/${file}`);

/**
 * tensor-network's worker pool imports worker_threads only in Node, dynamically; the demos never
 * create a pool, so the import stays external (never executed) instead of a browser stub.
 */
function nodeOnlyImports() {
  return {
    name: 'latticediff:node-only-imports',
    enforce: 'pre' as const,
    resolveId(id: string) {
      return id === 'worker_threads' || id === 'node:worker_threads'
        ? { id, external: true }
        : null;
    },
  };
}

/**
 * The server-side render imports vue from the pages, which live outside this package: keep it an
 * external bare import (resolved at render time from apps/docs/.vitepress/.temp, i.e. this
 * package's vue) instead of resolving it from docs/.
 */
function vueFromThisPackage() {
  return {
    name: 'latticediff:vue-from-docs-app',
    enforce: 'pre' as const,
    resolveId(id: string, _importer: string | undefined, options?: { ssr?: boolean }) {
      return options?.ssr && (id === 'vue' || id === 'vue/server-renderer')
        ? { id, external: true }
        : null;
    },
  };
}

export default defineConfig({
  title: 'latticediff',
  description:
    'Tensor-network discrete diffusion models for lattice systems: exact sampling, exact denoising, and exact Monte Carlo in TypeScript',
  srcDir,
  outDir: fileURLToPath(new URL('../dist', import.meta.url)),
  cacheDir: fileURLToPath(new URL('./cache', import.meta.url)),
  // the folder's GitHub readme links into packages/ (outside the site)
  srcExclude: ['README.md'],
  cleanUrls: true,
  lastUpdated: false,
  head: [
    ['link', { rel: 'icon', type: 'image/svg+xml', href: '/logo.svg' }],
    ['meta', { name: 'theme-color', content: '#4f46e5' }],
  ],
  markdown: {
    math: true,
    theme: { light: 'github-light', dark: 'github-dark' },
  },
  vite: {
    plugins: [nodeOnlyImports(), vueFromThisPackage()],
    worker: { format: 'es', plugins: () => [nodeOnlyImports()] },
    build: { chunkSizeWarningLimit: 2000 },
  },
  themeConfig: {
    logo: '/logo.svg',
    nav: [
      ...(has('getting-started.md') ? [{ text: 'Get started', link: '/getting-started' }] : []),
      ...(has('concepts/index.md') ? [{ text: 'Concepts', link: '/concepts/' }] : []),
      ...(has('guide/tensor-network.md')
        ? [{ text: 'Guide', link: '/guide/tensor-network', activeMatch: '/guide/' }]
        : []),
      ...(has('models/index.md') ? [{ text: 'Models', link: '/models/' }] : []),
      { text: 'Demos', link: '/demos/', activeMatch: '/demos/' },
      { text: 'API', link: '/api/', activeMatch: '/api/' },
      ...(has('benchmarks.md') ? [{ text: 'Benchmarks', link: '/benchmarks' }] : []),
    ],
    sidebar: sidebar(srcDir),
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    footer: {
      message: 'Released under the MIT License.',
      copyright: 'latticediff: tensor-network diffusion models on lattices',
    },
  },
});
