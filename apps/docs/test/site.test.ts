/**
 * End-to-end test of the built site (apps/docs/dist, from `build`) in a real browser: Debian's
 * chromium driven by playwright-core. Each demo page runs its demo with quick parameters in its
 * Web Workers, and must show samples, a filled estimate table and the denoising path without any
 * console or page error; a few ordinary pages must load without console errors. At phone width
 * (390 px) the pages, the demos with their results too, must not scroll sideways; the API index
 * shows no raw TeX. Screenshots go to test-results/screenshots/<page>.png.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './static-server';

const app = fileURLToPath(new URL('..', import.meta.url));
const dist = join(app, 'dist');
const screenshots = join(app, 'test-results', 'screenshots');

function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    // not on PATH
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error(
    'chromium not found: the docs end-to-end test needs Debian chromium (apt-get install -y --no-install-recommends chromium) or CHROMIUM_PATH set to a Chromium binary',
  );
}

let browser: BrowserContext | undefined;
let server: Server | undefined;
let base: string;
let profile: string | undefined;
/**
 * Why the browser could not start (missing site or chromium). Every test rethrows it, so that each
 * one fails with the message instead of being reported as skipped.
 */
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    if (!existsSync(join(dist, 'index.html'))) {
      throw new Error(
        `${dist}/index.html is missing: build the site first (pnpm --filter @latticediff/docs build)`,
      );
    }
    const executablePath = chromiumPath();
    profile = mkdtempSync(join(tmpdir(), 'latticediff-docs-chromium-'));
    ({ url: base, server } = await serveStatic(dist));
    // a fresh profile directory per run (playwright passes it as --user-data-dir)
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    mkdirSync(screenshots, { recursive: true });
  } catch (error) {
    setupError = error instanceof Error ? error : new Error(String(error));
  }
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Opens a page and collects console errors and uncaught page errors (workers included). */
async function open(
  path: string,
  viewport?: { width: number; height: number },
): Promise<{ page: Page; errors: string[] }> {
  if (setupError || !browser) throw setupError ?? new Error('the browser did not start');
  const page = await browser.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('worker', (worker) => {
    worker.on('console', (message) => {
      if (message.type() === 'error') errors.push(`worker console: ${message.text()}`);
    });
  });
  const response = await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  expect(response?.status(), `HTTP status of ${path}`).toBe(200);
  return { page, errors };
}

/** Runs a demo (quick parameters) and waits until it reports done or failed. */
async function runDemo(page: Page): Promise<void> {
  await page.locator('[data-testid=run]').click();
  // no time limit (0): a slow machine is not a failure; vitest's hang guard ends a stuck run
  await page.waitForSelector('.ld-demo[data-phase=done], .ld-demo[data-phase=error]', {
    timeout: 0,
  });
  const status = (await page.locator('[data-testid=status]').textContent()) ?? '';
  expect(await page.locator('.ld-demo').getAttribute('data-phase'), status).toBe('done');
  // the tensor-network kernels ran as WebAssembly SIMD in the worker, not the JS fallback
  expect(await page.locator('.ld-demo').getAttribute('data-engine')).toBe('wasm-simd');
}

/** Phone width of the layout checks (an iPhone 12 to 15 in portrait). */
const PHONE = { width: 390, height: 844 };

/**
 * The page's width beyond the viewport (0 when nothing overflows sideways), and the elements that
 * stick out, for the failure message.
 */
async function sidewaysOverflow(page: Page): Promise<{ excess: number; culprits: string[] }> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const culprits: string[] = [];
    for (const element of Array.from(document.body.querySelectorAll('*'))) {
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 0.5 && culprits.length < 8) {
        const label = `${element.tagName.toLowerCase()}${element.className && typeof element.className === 'string' ? `.${element.className.trim().split(/\s+/).join('.')}` : ''}`;
        culprits.push(`${label} (right edge ${Math.round(box.right)} px)`);
      }
    }
    return { excess: Math.max(0, root.scrollWidth - width), culprits };
  });
}

/** Checks that the page, at its current viewport, does not scroll sideways. */
async function expectNoSidewaysOverflow(page: Page, what: string): Promise<void> {
  const { excess, culprits } = await sidewaysOverflow(page);
  expect(excess, `${what} is ${excess} px wider than the viewport: ${culprits.join(', ')}`).toBe(0);
}

async function estimates(page: Page): Promise<string[]> {
  return page.locator('[data-testid=estimate]').allInnerTexts();
}

describe('demos run the real code in the browser', () => {
  it('ising: learns, samples, estimates and denoises', async () => {
    const { page, errors } = await open('/demos/ising?quick=1');
    await runDemo(page);
    // 16 chains drawn as 4 x 4 pixel grids, not all of one colour
    const canvases = page.locator('[data-testid=samples] canvas');
    expect(await canvases.count()).toBe(16);
    const colours = await page.evaluate(() => {
      const seen = new Set<string>();
      for (const canvas of Array.from(
        document.querySelectorAll<HTMLCanvasElement>('[data-testid=samples] canvas'),
      )) {
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let k = 0; k < data.length; k += 4)
          seen.add(`${data[k]},${data[k + 1]},${data[k + 2]}`);
      }
      return seen.size;
    });
    expect(colours).toBe(2);
    const values = await estimates(page);
    expect(values).toHaveLength(2);
    for (const v of values) expect(v).toMatch(/^-?\d+\.\d{4} ± \d+\.\d{4}$/);
    expect(await page.locator('[data-testid=denoising] canvas').count()).toBe(8);
    await page.screenshot({ path: join(screenshots, 'demo-ising.png'), fullPage: true });
    // the same page with its results at phone width
    await page.setViewportSize(PHONE);
    await expectNoSidewaysOverflow(page, 'the Ising demo at 390 px');
    await page.screenshot({ path: join(screenshots, 'demo-ising-390.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('ising, neural proposal: a MADE on the tfjs wasm backend, served by the site', async () => {
    const { page, errors } = await open('/demos/ising?quick=1&proposal=neural');
    // every request of the page and its workers, from here on
    const requests: string[] = [];
    const record = (request: { url(): string }) => requests.push(request.url());
    browser!.on('request', record);
    await page.locator('[data-testid=run]').click();
    // no time limit (0): a slow machine is not a failure; vitest's hang guard ends a stuck run
    await page.waitForSelector('.ld-demo[data-phase=done], .ld-demo[data-phase=error]', {
      timeout: 0,
    });
    const status = (await page.locator('[data-testid=status]').textContent()) ?? '';
    const demo = page.locator('.ld-demo');
    expect(await demo.getAttribute('data-phase'), status).toBe('done');
    expect(await demo.getAttribute('data-proposal')).toBe('neural');
    // the network ran on WebAssembly, not the cpu fallback, and the page says which
    expect(await demo.getAttribute('data-backend'), status).toBe('wasm');
    expect(status).toContain('tfjs WebAssembly backend');
    expect(await page.locator('[data-testid=fallback]').count()).toBe(0);
    // the binary came from this site (non-threaded SIMD: the page is not cross-origin isolated)
    const wasm = requests.filter((u) => u.endsWith('.wasm'));
    expect(
      wasm.some((u) => /\/assets\/tfjs-backend-wasm-simd-[\w-]{8}\.wasm$/.test(u)),
      wasm.join(', '),
    ).toBe(true);
    expect(requests.filter((u) => !u.startsWith(base) && !/^(blob|data):/.test(u))).toEqual([]);
    browser!.off('request', record);
    expect(await page.locator('[data-testid=samples] canvas').count()).toBe(16);
    expect(await page.locator('[data-testid=bound]').textContent()).toMatch(/KL\(q ‖ π\) = -?\d/);
    const values = await estimates(page);
    expect(values).toHaveLength(2);
    for (const v of values) expect(v).toMatch(/^-?\d+\.\d{4} ± \d+\.\d{4}$/);
    // the acceptance of the independence proposals, in (0, 1]
    const acceptance = Number(/acceptance (\d\.\d+)/.exec(status)?.[1]);
    expect(acceptance, status).toBeGreaterThan(0);
    expect(acceptance, status).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(screenshots, 'demo-ising-neural.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    await expectNoSidewaysOverflow(page, 'the Ising demo (neural) at 390 px');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fredkin: exact diffusion samples beside the local dynamics', async () => {
    const { page, errors } = await open('/demos/fredkin?quick=1');
    await runDemo(page);
    expect(await page.locator('[data-testid=samples] svg').count()).toBe(6);
    // every diffusion sample is a Dyck path: its drawn line never goes below the zero line
    const paths = await page.locator('[data-testid=samples] svg path[fill=none]').count();
    expect(paths).toBe(6);
    expect(await page.locator('[data-testid=samples] svg rect').count()).toBe(0);
    expect(await page.locator('[data-testid=local] svg').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-testid=denoising] svg').count()).toBe(8);
    const values = await estimates(page);
    expect(values).toHaveLength(2);
    for (const v of values) expect(v).toMatch(/^\d+\.\d{3} ± \d+\.\d{3}$/);
    await page.screenshot({ path: join(screenshots, 'demo-fredkin.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    await expectNoSidewaysOverflow(page, 'the Fredkin demo at 390 px');
    await page.screenshot({ path: join(screenshots, 'demo-fredkin-390.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('ordinary pages load without console errors', () => {
  const modelPage = () => {
    const dir = join(dist, 'models');
    const pages = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.html')) : [];
    const chosen = pages.includes('ising.html')
      ? 'ising.html'
      : pages.find((p) => p !== 'index.html');
    if (!chosen) throw new Error(`no model page in ${dir}`);
    return `/models/${chosen.replace(/\.html$/, '')}`;
  };
  /** The URL of a generated API page (module folders depend on the package's entry points). */
  const apiPage = (pkg: string, file: string) => () => {
    const root = join(dist, 'api', pkg);
    const found = (readdirSync(root, { recursive: true }) as string[]).find(
      (f) => f.split(/[\\/]/).pop() === file,
    );
    if (!found) throw new Error(`no ${file} under ${root}`);
    return `/api/${pkg}/${found.replace(/\\/g, '/').replace(/\.html$/, '')}`;
  };
  const cases: [string, () => string, string][] = [
    ['home', () => '/', 'latticediff'],
    ['api-index', () => '/api/', 'API reference'],
    ['api-mps', apiPage('tensor-network', 'MPS.html'), 'MPS'],
    ['demos', () => '/demos/', 'Live demos'],
    ['model', modelPage, ''],
  ];
  for (const [name, path, text] of cases) {
    it(`${name}`, async () => {
      const { page, errors } = await open(path());
      await expect(page.locator('h1').first().textContent()).resolves.toContain(text);
      await page.screenshot({
        path: join(screenshots, `${name}.png`),
        fullPage: name !== 'api-mps',
      });
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('api-index: TeX in package descriptions is rendered, not shown raw', async () => {
    const { page, errors } = await open('/api/');
    const text = (await page.locator('.vp-doc').textContent()) ?? '';
    expect(text).not.toMatch(/[_^]\{/);
    expect(await page.locator('.vp-doc table mjx-container').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('concepts/denoising: display equations fit the column on a wide screen', async () => {
    const { page, errors } = await open('/concepts/denoising');
    const clipped = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.vp-doc mjx-container[display="true"]'))
        .filter((m) => m.scrollWidth > m.clientWidth + 1)
        .map((m) => m.textContent?.slice(0, 60) ?? ''),
    );
    expect(clipped).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('pages at phone width (390 px) do not scroll sideways', () => {
  /** Every prose page of the site and the API index (the generated API pages are left out). */
  const prosePages = () =>
    (readdirSync(dist, { recursive: true }) as string[])
      .map((f) => f.replace(/\\/g, '/'))
      .filter((f) => f.endsWith('.html') && f !== '404.html')
      .filter((f) => !f.startsWith('api/') || f === 'api/index.html')
      .map((f) => `/${f.replace(/(^|\/)index\.html$/, '$1').replace(/\.html$/, '')}`)
      .sort();

  it('every prose page and the API index', async () => {
    const paths = prosePages();
    expect(paths.length).toBeGreaterThan(15);
    const { page } = await open('/', PHONE);
    const wide: string[] = [];
    for (const path of paths) {
      const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
      expect(response?.status(), `HTTP status of ${path}`).toBe(200);
      const { excess, culprits } = await sidewaysOverflow(page);
      if (excess > 0) wide.push(`${path}: ${excess} px too wide (${culprits.join(', ')})`);
    }
    expect(wide).toEqual([]);
    await page.close();
  });

  for (const [name, path] of [
    ['demo-ising', '/demos/ising?quick=1'],
    ['demo-fredkin', '/demos/fredkin?quick=1'],
  ] as const) {
    it(`${name} before it runs`, async () => {
      const { page, errors } = await open(path, PHONE);
      await expectNoSidewaysOverflow(page, `${path} at 390 px`);
      await page.screenshot({ path: join(screenshots, `${name}-390-start.png`), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
