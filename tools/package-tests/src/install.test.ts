/**
 * Pack and install: every published package is packed with `pnpm pack` (as `pnpm publish` would
 * pack it), installed with plain `npm install --offline` into scratch projects OUTSIDE the
 * workspace, and used as a consumer would: (a) tensor-network alone, from Node and from
 * TypeScript (nodenext and bundler resolution); (b) a model package with its dependencies,
 * against exact values computed here by enumeration; (c) the CLI with everything but its
 * optional peer @latticediff/neural (whose tfjs peers cannot be installed offline here), through
 * its installed `latticediff` bin: no tfjs is installed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, exec, publishedPackages, ROOT } from './workspace';

const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc', { paths: [ROOT] });

let work: string;
const tarballs = new Map<string, string>();

/** npm without pnpm's npm_* variables and without any registry it could reach. */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  env.npm_config_registry = 'http://127.0.0.1:9/';
  env.npm_config_cache = join(work, 'npm-cache');
  env.npm_config_update_notifier = 'false';
  env.LATTICEDIFF_NO_PROGRESS = '1';
  return env;
}

/** A scratch ESM project in the temporary directory with the given packages installed. */
async function scratchProject(label: string, names: readonly string[]): Promise<string> {
  const project = join(work, label);
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: `scratch-${label}`, version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  const files = names.map((name) => {
    const file = tarballs.get(name);
    if (!file) throw new Error(`no tarball for ${name}`);
    return file;
  });
  // --offline: npm must find everything in the tarballs given here (all at once, so the
  // internal ^0.0.0 ranges are satisfied by them); any registry request would fail
  const result = await exec(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--prefer-offline', ...files],
    { cwd: project, env: npmEnv(), timeoutMs: 120_000 },
  );
  if (result.code !== 0) throw new Error(describeFailure(`npm install in ${label}`, result));
  return project;
}

async function node(project: string, file: string, code: string): Promise<unknown> {
  writeFileSync(join(project, file), code);
  const result = await exec(process.execPath, [file], { cwd: project, env: npmEnv() });
  if (result.code !== 0) throw new Error(describeFailure(`node ${file}`, result));
  return JSON.parse(result.stdout);
}

const RESOLUTIONS = [
  ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
  ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
] as const;

/** Type-checks consumer.ts in `dir` with the workspace's tsc, declarations included. */
async function typecheck(dir: string, resolution: (typeof RESOLUTIONS)[number][1]): Promise<void> {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...resolution,
        target: 'es2022',
        lib: ['es2022', 'dom'],
        types: [],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
      },
      files: ['consumer.ts'],
    }),
  );
  const result = await exec(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir });
  expect(result.code, describeFailure('tsc', result)).toBe(0);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'latticediff-package-tests-'));
  const packs = join(work, 'tarballs');
  mkdirSync(packs);
  // two at a time: pnpm pack is mostly I/O
  const queue = [...publishedPackages()];
  const worker = async () => {
    for (let pkg = queue.shift(); pkg; pkg = queue.shift()) {
      const result = await exec('pnpm', ['pack', '--pack-destination', packs, '--json'], {
        cwd: join(ROOT, pkg.dir),
      });
      if (result.code !== 0) throw new Error(describeFailure(`pnpm pack ${pkg.name}`, result));
      tarballs.set(pkg.name, JSON.parse(result.stdout).filename);
    }
  };
  await Promise.all([worker(), worker()]);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it('packs every published package with its workspace ranges rewritten', async () => {
  expect([...tarballs.keys()].sort()).toEqual(
    publishedPackages()
      .map((p) => p.name)
      .sort(),
  );
  for (const [name, file] of tarballs) {
    const listed = await exec('tar', ['-xzOf', file, 'package/package.json'], { cwd: work });
    expect(listed.code).toBe(0);
    expect(listed.stdout, name).not.toContain('workspace:');
    const manifest = JSON.parse(listed.stdout) as { dependencies?: Record<string, string> };
    for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
      const version = publishedPackages().find((p) => p.name === dependency)?.version;
      expect(range, `${name} -> ${dependency}`).toBe(`^${version}`);
    }
  }
});

// (a) ----------------------------------------------------------------------------------------

/** Three sites, d = 2, 3, 2, bonds 2 and 2; non-negative entries (a linear MPS). */
const TENSORS = [
  [
    [
      [0.5, 1.5],
      [2.0, 0.25],
    ],
  ],
  [
    [
      [1.0, 0.5],
      [0.0, 2.0],
      [0.75, 0.25],
    ],
    [
      [0.5, 0.5],
      [1.5, 0.0],
      [1.0, 1.0],
    ],
  ],
  [
    [[1.0], [0.5]],
    [[0.25], [2.0]],
  ],
];

/** P(x) by summing the bond indices directly, normalised; configurations in C order. */
function denseReference(): number[] {
  const weights: number[] = [];
  for (let x0 = 0; x0 < 2; x0++)
    for (let x1 = 0; x1 < 3; x1++)
      for (let x2 = 0; x2 < 2; x2++) {
        let w = 0;
        for (let a = 0; a < 2; a++)
          for (let b = 0; b < 2; b++) {
            const t0 = TENSORS[0]![0]![x0]![a]!;
            const t1 = TENSORS[1]![a]![x1]![b]!;
            const t2 = TENSORS[2]![b]![x2]![0]!;
            w += t0 * t1 * t2;
          }
        weights.push(w);
      }
  const z = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => w / z);
}

describe('(a) @latticediff/tensor-network alone', () => {
  let project: string;
  beforeAll(async () => {
    project = await scratchProject('tensor-network', ['@latticediff/tensor-network']);
  });

  it('installs only itself', () => {
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    expect(Object.keys(lock.packages).sort()).toEqual([
      '',
      'node_modules/@latticediff/tensor-network',
    ]);
  });

  it('builds an MPS, samples it exactly and on a worker pool, and is normalised', async () => {
    const out = (await node(
      project,
      'example.mjs',
      `import { MPS, toDense, sample, logProbabilities, logNormalization, createSamplerPool } from '@latticediff/tensor-network';
const mps = MPS.fromTensors(${JSON.stringify(TENSORS)});
const all = [];
for (let x0 = 0; x0 < 2; x0++) for (let x1 = 0; x1 < 3; x1++) for (let x2 = 0; x2 < 2; x2++) all.push([x0, x1, x2]);
const samples = sample(mps, { count: 4000, seed: 11 });
const pool = await createSamplerPool({ workers: 2 });
const pooled = await pool.sample(mps, { count: 4000, seed: 11 });
await pool.close();
console.log(JSON.stringify({
  resolved: import.meta.resolve('@latticediff/tensor-network'),
  worker: import.meta.resolve('@latticediff/tensor-network/worker'),
  dense: Array.from(toDense(mps)),
  logZ: logNormalization(mps),
  logP: Array.from(logProbabilities(mps, all)),
  data: Array.from(samples.data),
  sampleLogP: Array.from(samples.logProbabilities),
  poolSame: pooled.data.every((v, k) => v === samples.data[k]) &&
    pooled.logProbabilities.every((v, k) => v === samples.logProbabilities[k]),
}));
`,
    )) as {
      resolved: string;
      worker: string;
      dense: number[];
      logZ: number;
      logP: number[];
      data: number[];
      sampleLogP: number[];
      poolSame: boolean;
    };
    // resolved from the scratch project, not from the workspace
    expect(out.resolved).toBe(
      `file://${project}/node_modules/@latticediff/tensor-network/dist/index.js`,
    );
    expect(existsSync(new URL(out.worker))).toBe(true);

    const reference = denseReference();
    expect(out.dense).toHaveLength(12);
    out.dense.forEach((p, k) => {
      expect(p).toBeCloseTo(reference[k]!, 12);
    });
    // log Z of the unnormalised weights
    let z = 0;
    for (let x0 = 0; x0 < 2; x0++)
      for (let x1 = 0; x1 < 3; x1++)
        for (let x2 = 0; x2 < 2; x2++) {
          let w = 0;
          for (let a = 0; a < 2; a++)
            for (let b = 0; b < 2; b++)
              w += TENSORS[0]![0]![x0]![a]! * TENSORS[1]![a]![x1]![b]! * TENSORS[2]![b]![x2]![0]!;
          z += w;
        }
    expect(out.logZ).toBeCloseTo(Math.log(z), 12);
    // log-probabilities of every configuration: they sum to one and match toDense
    expect(out.logP.reduce((s, l) => s + Math.exp(l), 0)).toBeCloseTo(1, 12);
    out.logP.forEach((l, k) => {
      expect(l).toBeCloseTo(Math.log(reference[k]!), 12);
    });
    // every sample carries its exact log-probability; frequencies within 4 sigma
    const count = out.sampleLogP.length;
    const seen = new Array(12).fill(0);
    for (let b = 0; b < count; b++) {
      const [x0, x1, x2] = out.data.slice(3 * b, 3 * b + 3) as [number, number, number];
      const k = (x0 * 3 + x1) * 2 + x2;
      seen[k] += 1;
      expect(out.sampleLogP[b]).toBeCloseTo(Math.log(reference[k]!), 12);
    }
    reference.forEach((p, k) => {
      expect(Math.abs(seen[k] / count - p)).toBeLessThanOrEqual(
        4 * Math.sqrt((p * (1 - p)) / count) + 1e-12,
      );
    });
    expect(out.poolSame).toBe(true);
  });

  it.each(RESOLUTIONS)(
    'type-checks a TypeScript consumer (%s resolution)',
    async (label, resolution) => {
      const dir = join(project, `ts-${label}`);
      mkdirSync(dir);
      writeFileSync(
        join(dir, 'consumer.ts'),
        `import { MPS, type SampleResult, sample, toDense, InvalidArgumentError } from '@latticediff/tensor-network';
import type { WorkerRequest } from '@latticediff/tensor-network/worker';

const mps: MPS = MPS.fromTensors([[[[1, 2]]], [[[3], [4]]]]);
const result: SampleResult = sample(mps, { count: 3, seed: 1 });
const probabilities: Float64Array = toDense(mps);
const kind: WorkerRequest['type'] = 'load';
const isError: boolean = InvalidArgumentError.isInstance(new Error('x'));
// the declarations are real, not any: a wrong call must not type-check
// @ts-expect-error count must be a number
sample(mps, { count: 'three', seed: 1 });
// @ts-expect-error there is no such export
import('@latticediff/tensor-network').then((m) => m.noSuchExport);
export { result, probabilities, kind, isError };
`,
      );
      await typecheck(dir, resolution);
    },
  );
});

// (b) ----------------------------------------------------------------------------------------

/** ln Z, mean mid height and q^{A/2} weights of the Fredkin chain by enumerating all 2^N paths. */
function fredkinByEnumeration(sites: number, c: number) {
  const q = c / (1 - c);
  let z = 0;
  let mid = 0;
  const areas = new Map<number, number>();
  for (let code = 0; code < 2 ** sites; code++) {
    let h = 0;
    let area = 0;
    let midHeight = 0;
    let dyck = true;
    for (let i = 0; i < sites; i++) {
      h += (code >> (sites - 1 - i)) & 1 ? 1 : -1;
      if (h < 0) dyck = false;
      area += h;
      if (i + 1 === sites / 2) midHeight = h;
    }
    if (!dyck || h !== 0) continue;
    const w = q ** (area / 2);
    z += w;
    mid += w * midHeight;
    areas.set(code, area);
  }
  return { logZ: Math.log(z), midHeight: mid / z, q, areas };
}

describe('(b) @latticediff/model-fredkin with lattice and tensor-network', () => {
  let project: string;
  beforeAll(async () => {
    project = await scratchProject('model-fredkin', [
      '@latticediff/model-fredkin',
      '@latticediff/lattice',
      '@latticediff/tensor-network',
    ]);
  });

  it('matches the exact values of the chain computed here by enumeration', async () => {
    const sites = 10;
    const c = 0.7;
    const out = (await node(
      project,
      'example.mjs',
      `import { fredkinModel, fredkinExact, fredkinExactMPS } from '@latticediff/model-fredkin';
import { logNormalization } from '@latticediff/tensor-network';
const sites = ${sites};
const exact = fredkinExact({ sites, c: ${c} });
const brownian = fredkinExact({ sites, c: 0.5 });
const { mps, logWeightOffset } = fredkinExactMPS({ sites, c: ${c} });
const model = fredkinModel.create({ sites, c: ${c} });
const data = new Uint8Array(2 ** sites * sites);
for (let code = 0; code < 2 ** sites; code++)
  for (let i = 0; i < sites; i++) data[code * sites + i] = (code >> (sites - 1 - i)) & 1;
const energies = model.energy({ data, count: 2 ** sites });
console.log(JSON.stringify({
  logZ: exact.logPartitionFunction,
  midHeight: exact.midHeight,
  brownianLogZ: brownian.logPartitionFunction,
  mpsLogZ: logNormalization(mps) + logWeightOffset,
  energies: Array.from(energies, (e) => (Number.isFinite(e) ? e : null)),
  testingKit: import.meta.resolve('@latticediff/lattice/testing'),
}));
`,
    )) as {
      logZ: number;
      midHeight: number;
      brownianLogZ: number;
      mpsLogZ: number;
      energies: (number | null)[];
      testingKit: string;
    };
    const reference = fredkinByEnumeration(sites, c);
    expect(out.logZ).toBeCloseTo(reference.logZ, 10);
    expect(out.mpsLogZ).toBeCloseTo(reference.logZ, 10);
    expect(out.midHeight).toBeCloseTo(reference.midHeight, 10);
    // c = 1/2: uniform Dyck paths, Z = Catalan(N/2) = 42 for N = 10
    expect(out.brownianLogZ).toBeCloseTo(Math.log(42), 12);
    // E(x) = -(1/2) ln q A(x) on Dyck paths, +Infinity elsewhere
    for (let code = 0; code < 2 ** sites; code++) {
      const area = reference.areas.get(code);
      if (area === undefined) expect(out.energies[code], `code ${code}`).toBeNull();
      else expect(out.energies[code]).toBeCloseTo(-0.5 * Math.log(reference.q) * area, 12);
    }
    // the conformance kit subpath resolves from the installed package
    expect(out.testingKit).toBe(
      `file://${project}/node_modules/@latticediff/lattice/dist/testing.js`,
    );
  });
});

// (c) ----------------------------------------------------------------------------------------

/**
 * The published packages a CLI user installs: all but @latticediff/neural, the CLI's optional
 * peer, whose tfjs peers this offline test cannot install (and which a user of the MPS proposals
 * never needs).
 */
function cliInstallNames(): string[] {
  return publishedPackages()
    .map((p) => p.name)
    .filter((name) => name !== '@latticediff/neural');
}

describe('(c) @latticediff/cli with every published package but the optional neural one', () => {
  let project: string;
  let modelPackages: string[];
  beforeAll(async () => {
    const names = cliInstallNames();
    modelPackages = names.filter((n) => n.startsWith('@latticediff/model-'));
    project = await scratchProject('cli', names);
  });

  it('installs without tfjs: @latticediff/neural is an optional peer of the CLI', () => {
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    const installed = Object.keys(lock.packages);
    expect(installed.filter((p) => p.includes('@tensorflow/'))).toEqual([]);
    expect(installed).not.toContain('node_modules/@latticediff/neural');
    expect(installed).toContain('node_modules/@latticediff/cli');
  });

  it('says, without a stack trace, that --proposal neural needs @latticediff/neural installed', async () => {
    const bin = join(project, 'node_modules', '.bin', 'latticediff');
    const result = await exec(
      bin,
      ['train', 'ising', '--lx', '2', '--ly', '2', '--proposal', 'neural', '--out', 'n.json'],
      { cwd: project, env: npmEnv() },
    );
    expect(result.code, describeFailure('latticediff train --proposal neural', result)).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^latticediff: --proposal neural needs the package @latticediff\/neural, which is not installed/,
    );
    expect(lines[0]).toMatch(/npm install -g @latticediff\/neural/);
    expect(existsSync(join(project, 'n.json'))).toBe(false);
  });

  it('lists every installed model package with npx latticediff models', async () => {
    const result = await exec('npx', ['--no', 'latticediff', 'models', '--json'], {
      cwd: project,
      env: npmEnv(),
    });
    expect(result.code, describeFailure('npx latticediff models', result)).toBe(0);
    const listed = JSON.parse(result.stdout) as unknown;
    const text = JSON.stringify(listed);
    for (const name of modelPackages) expect(text).toContain(name);
    const plain = await exec('npx', ['--no', 'latticediff', 'models'], {
      cwd: project,
      env: npmEnv(),
    });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^ising {2}\(@latticediff\/model-ising 0\.0\.0, built in\)/m);
  });

  it.each(RESOLUTIONS)(
    'resolves every typed subpath export from TypeScript (%s resolution)',
    async (label, resolution) => {
      const dir = join(project, `ts-${label}`);
      mkdirSync(dir);
      const lines: string[] = [];
      const names: string[] = [];
      for (const name of cliInstallNames()) {
        const manifest = JSON.parse(
          readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8'),
        ) as { exports: Record<string, string | { types?: string }> };
        for (const [subpath, target] of Object.entries(manifest.exports)) {
          if (typeof target === 'string' || !target.types) continue;
          const id = `m${names.length}`;
          names.push(id);
          // strict mode: an untyped or unresolved module is an error (TS7016, TS2307)
          lines.push(`import * as ${id} from '${name}${subpath.slice(1)}';`);
        }
      }
      lines.push(`export const modules = [${names.join(', ')}];`);
      writeFileSync(join(dir, 'consumer.ts'), `${lines.join('\n')}\n`);
      // the subpaths of issue #8 are among them
      const text = lines.join('\n');
      for (const subpath of [
        '@latticediff/lattice/testing',
        '@latticediff/monte-carlo/node',
        '@latticediff/tensor-network/worker',
      ])
        expect(text).toContain(`'${subpath}'`);
      await typecheck(dir, resolution);
    },
  );

  it('computes exact references through the installed bin', async () => {
    const bin = join(project, 'node_modules', '.bin', 'latticediff');
    const fredkin = await exec(bin, ['exact', 'fredkin', '--sites', '10', '--c', '0.7', '--json'], {
      cwd: project,
      env: npmEnv(),
    });
    expect(fredkin.code, describeFailure('latticediff exact fredkin', fredkin)).toBe(0);
    const reference = fredkinByEnumeration(10, 0.7);
    const parsed = JSON.parse(fredkin.stdout) as {
      logPartitionFunction: number;
      observables: { midHeight: { mean: number } };
    };
    expect(parsed.logPartitionFunction).toBeCloseTo(reference.logZ, 10);
    expect(parsed.observables.midHeight.mean).toBeCloseTo(reference.midHeight, 10);

    // Ising on a 2x2 cylinder (periodic y of length 2 doubles the vertical bonds): enumerate
    const ising = await exec(
      bin,
      ['exact', 'ising', '--lx', '2', '--ly', '2', '--beta', '0.5', '--json'],
      { cwd: project, env: npmEnv() },
    );
    expect(ising.code, describeFailure('latticediff exact ising', ising)).toBe(0);
    const site = (x: number, y: number) => x * 2 + y;
    const bonds: [number, number][] = [];
    for (let x = 0; x < 2; x++)
      for (let y = 0; y < 2; y++) {
        if (x + 1 < 2) bonds.push([site(x, y), site(x + 1, y)]);
        bonds.push([site(x, y), site(x, (y + 1) % 2)]);
      }
    let z = 0;
    for (let code = 0; code < 16; code++) {
      const s = (i: number) => (((code >> i) & 1) === 1 ? 1 : -1);
      const energy = -bonds.reduce((e, [i, j]) => e + s(i) * s(j), 0);
      z += Math.exp(-0.5 * energy);
    }
    const isingOut = JSON.parse(ising.stdout) as { logPartitionFunction: number };
    expect(isingOut.logPartitionFunction).toBeCloseTo(Math.log(z), 10);

    const bad = await exec(bin, ['exact', 'fredkin', '--sites', '7'], {
      cwd: project,
      env: npmEnv(),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/sites/);
  });

  it('runs local and disconnected chains on worker threads from the installed packages, as on one thread', async () => {
    // the worker imports the model package by name from the installed monte-carlo's location,
    // the flat node_modules of an npm install
    const script = join(project, 'workers.mjs');
    writeFileSync(
      script,
      [
        "import { isingModel } from '@latticediff/model-ising';",
        "import { runChains } from '@latticediff/monte-carlo';",
        "import { runChainsOnWorkers } from '@latticediff/monte-carlo/node';",
        "import { randomMPS } from '@latticediff/tensor-network';",
        'const parameters = { lx: 3, ly: 4, beta: 0.4 };',
        "const options = { scheme: { kind: 'local' }, chains: 5, steps: 50, seed: 9 };",
        'const one = await runChains({ ...options, model: isingModel.create(parameters) });',
        'const two = await runChainsOnWorkers({',
        '  ...options,',
        "  model: { module: '@latticediff/model-ising', parameters },",
        '  workers: 2,',
        '});',
        'const same = Object.keys(one.series).every((k) =>',
        '  one.series[k].every((v, i) => v === two.series[k][i]),',
        ');',
        // disconnected chains: each thread draws its chunks of the proposals (internal entry of
        // the installed tensor-network)
        "const proposal = randomMPS({ length: 12, bondDim: 3, kind: 'born', seed: 2 });",
        "const ddm = { scheme: { kind: 'disconnected' }, proposal, chains: 300, steps: 20, seed: 4, localSweeps: 1 };",
        'const oneDdm = await runChains({ ...ddm, model: isingModel.create(parameters) });',
        'const twoDdm = await runChainsOnWorkers({',
        '  ...ddm,',
        "  model: { module: '@latticediff/model-ising', parameters },",
        '  workers: 2,',
        '});',
        'const sameDdm = oneDdm.final.data.every((v, i) => v === twoDdm.final.data[i]) &&',
        '  oneDdm.accepted.every((v, i) => v === twoDdm.accepted[i]);',
        'console.log(JSON.stringify({ same, sameDdm, acceptance: twoDdm.acceptanceRate, observables: Object.keys(two.series).length }));',
      ].join('\n'),
    );
    const result = await exec('node', [script], { cwd: project, env: npmEnv() });
    expect(result.code, describeFailure('node workers.mjs', result)).toBe(0);
    const out = JSON.parse(result.stdout) as {
      same: boolean;
      sameDdm: boolean;
      acceptance: number;
      observables: number;
    };
    expect(out.same).toBe(true);
    expect(out.sameDdm).toBe(true);
    expect(out.acceptance).toBeGreaterThan(0);
    expect(out.observables).toBeGreaterThan(0);
  });
});
