/**
 * The built site serves the tfjs wasm binaries itself: the three .wasm files of the installed
 * @tensorflow/tfjs-backend-wasm are emitted into dist/assets byte for byte, and the neural demo's
 * worker points the backend at them by site-relative URLs (no scheme, no host), so the demo
 * never fetches anything from another origin. The MPS worker does not load tfjs at all.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const app = fileURLToPath(new URL('..', import.meta.url));
const assets = join(app, 'dist', 'assets');
const BINARIES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

function builtAssets(): string[] {
  if (!existsSync(assets)) {
    throw new Error(
      `${assets} is missing: build the site first (pnpm --filter @latticediff/docs build)`,
    );
  }
  return readdirSync(assets);
}

/** The one emitted file whose name is `prefix` followed by a hash and `suffix`. */
function emitted(files: string[], prefix: string, suffix: string): string {
  const matches = files.filter(
    (f) =>
      f.startsWith(`${prefix}-`) &&
      f.endsWith(suffix) &&
      /^[\w-]{8}$/.test(f.slice(prefix.length + 1, -suffix.length)),
  );
  expect(matches, `${prefix}-<hash>${suffix} in ${assets}`).toHaveLength(1);
  return matches[0]!;
}

describe('the docs build serves the tfjs wasm binaries itself', () => {
  const installed = dirname(
    createRequire(join(app, 'package.json')).resolve('@tensorflow/tfjs-backend-wasm/package.json'),
  );

  it('emits the installed package binaries, byte for byte, referenced by site-relative URLs', () => {
    const files = builtAssets();
    const worker = readFileSync(join(assets, emitted(files, 'ising-neural.worker', '.js')), 'utf8');
    for (const name of BINARIES) {
      const file = emitted(files, name.replace(/\.wasm$/, ''), '.wasm');
      const bytes = readFileSync(join(assets, file));
      expect(bytes.equals(readFileSync(join(installed, 'dist', name))), `${file} = ${name}`).toBe(
        true,
      );
      // the worker names it by a URL of this site: /assets/<file>, no scheme or host
      const urls = [...worker.matchAll(/["'`]([^"'`]*\.wasm)["'`]/g)]
        .map((m) => m[1]!)
        .filter((u) => u.endsWith(`/${file}`));
      expect(urls, `the worker's URL of ${file}`).toEqual([`/assets/${file}`]);
    }
    // setWasmPaths gets the URLs under the names the backend asks for
    for (const name of BINARIES) expect(worker).toContain(`"${name}"`);
    expect(worker).not.toMatch(/(cdn\.jsdelivr|unpkg\.com)[^"'`]*\.wasm/);
  });

  it('the MPS worker does not load tfjs', () => {
    const files = builtAssets();
    const mps = readFileSync(join(assets, emitted(files, 'ising.worker', '.js')), 'utf8');
    expect(mps).not.toContain('tfjs-backend-wasm');
  });
});
