/**
 * Neural (MADE and PixelCNN) proposals through the built command: `train --proposal neural`
 * (the variational bound against the exact ln Z, the checkpoint, resume after SIGKILL bit for
 * bit), `mc` with the network (estimates within 4 standard errors of the exact values), `sample`
 * from it, the refusals (each naming the argument), and the message when @latticediff/neural is
 * missing.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { neuralImportError } from './neural';
import {
  expectUsageError,
  interruptRun,
  listing,
  run,
  runJson,
  temporaryDirectory,
} from './test-helpers';

const ISING = ['ising', '--lx', '3', '--ly', '3', '--beta', '0.4'];
const TRAIN = ['train', ...ISING, '--proposal', 'neural', '--steps', '150', '--batch', '128'];

interface TrainJson {
  proposal: string;
  network: { kind: string; hidden: number; z2: boolean };
  steps: number;
  backend: string;
  resumedFromStep: number;
  alreadyComplete: boolean;
  bound: {
    logPartitionBound: number;
    stdErr: number;
    count: number;
    exactLogPartitionFunction: number;
    kl: number;
  };
  history: { step: number; beta: number; freeEnergy: number; stdErr: number }[];
}

let directory: string;
let trained: TrainJson;

beforeAll(() => {
  directory = temporaryDirectory();
  trained = runJson<TrainJson>([...TRAIN, '--out', 'net.made.json', '--plots', 'plots', '--json'], {
    cwd: directory,
  });
});

describe('train --proposal neural', () => {
  it('trains by reverse KL and reports the variational bound beside the exact ln Z', () => {
    expect(trained.proposal).toBe('neural');
    expect(trained.network).toEqual({ kind: 'MADE', hidden: 36, z2: false });
    expect(trained.backend).toBe('wasm');
    expect(trained.history).toHaveLength(150);
    expect(trained.history[149]!.beta).toBeCloseTo(0.4 * (1 - 0.98 ** 150), 12);
    const { bound } = trained;
    expect(bound.count).toBe(4096);
    // a lower bound on ln Z, within its error bar; and a trained network: small KL(q || pi)
    expect(bound.logPartitionBound).toBeLessThan(
      bound.exactLogPartitionFunction + 4 * bound.stdErr,
    );
    expect(bound.kl).toBeCloseTo(bound.exactLogPartitionFunction - bound.logPartitionBound, 12);
    expect(bound.kl).toBeLessThan(0.1);
    // the checkpoint: the latticediff.made format with the run in its metadata, no state left
    const file = JSON.parse(readFileSync(join(directory, 'net.made.json'), 'utf8')) as {
      format: string;
      training: { step: number };
      metadata: { model: string; parameters: Record<string, unknown>; complete: boolean };
    };
    expect(file.format).toBe('latticediff.made');
    expect(file.training.step).toBe(150);
    expect(file.metadata).toMatchObject({
      model: 'ising',
      parameters: { lx: 3, ly: 3, beta: 0.4 },
      complete: true,
    });
    expect(existsSync(join(directory, 'net.made.json.state'))).toBe(false);
    // the free energy per step, with -ln Z as the reference line
    const svg = readFileSync(join(directory, 'plots', 'training.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain('-ln Z (exact, at the target beta)');
    const again = run([...TRAIN, '--out', 'net.made.json'], { cwd: directory });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already holds this finished run');
    expect(again.stdout).not.toMatch(/^wrote net\.made\.json/m);
    expect(again.stdout).toMatch(/exact ln Z = 7\.7868: KL\(q \|\| pi\)/);
  });

  it('resumes after SIGKILL and ends bit for bit where an uninterrupted run ends', async () => {
    const dir = temporaryDirectory();
    const args = [
      'train',
      'ising',
      '--lx',
      '4',
      '--ly',
      '4',
      '--proposal',
      'neural',
      '--hidden',
      '16',
      '--steps',
      '200',
      '--batch',
      '64',
      '--out',
      'resumed.made.json',
    ];
    const state = join(dir, 'resumed.made.json.state');
    await interruptRun(args, { cwd: dir, state, out: join(dir, 'resumed.made.json') });

    // a state of this run is refused by a run with other options
    copyFileSync(state, join(dir, 'other.made.json.state'));
    const other = args.map((a) =>
      a === '64' ? '32' : a === 'resumed.made.json' ? 'other.made.json' : a,
    );
    expectUsageError(
      run(other, { cwd: dir }),
      /cannot resume from "other\.made\.json\.state": it holds the training state of a different run/,
    );
    expect(existsSync(join(dir, 'other.made.json'))).toBe(false);

    const resumed = run(args, { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from resumed\.made\.json\.state after step \d+ of 200/);
    expect(resumed.stdout).toMatch(/resumed after step \d+/);
    expect(listing(dir)).toEqual(['other.made.json.state', 'resumed.made.json']);

    const uninterrupted = run([...args.slice(0, -1), 'uninterrupted.made.json'], { cwd: dir });
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    // the same file, byte for byte: weights, Adam state, history and bound
    expect(readFileSync(join(dir, 'resumed.made.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'uninterrupted.made.json'), 'utf8'),
    );
  });

  it('refuses what does not apply, naming the argument', () => {
    const dir = temporaryDirectory();
    expectUsageError(
      run(['train', 'fredkin', '--sites', '8', '--proposal', 'neural', '--out', 'f.json'], {
        cwd: dir,
      }),
      /--proposal neural trains by reverse KL .* fredkin has hard constraints/,
    );
    expectUsageError(
      run([...TRAIN, '--max-bond-dim', '4', '--out', 'x.json'], { cwd: dir }),
      /--max-bond-dim applies to MPS training, not to --proposal neural/,
    );
    expectUsageError(
      run(['train', ...ISING, '--hidden', '8', '--out', 'x.json'], { cwd: dir }),
      /--hidden applies to --proposal neural only/,
    );
    expectUsageError(
      run([...TRAIN, '--learning-rate', '1', '--out', 'x.json'], { cwd: dir }),
      /invalid value for --learning-rate: 1 /,
    );
    expectUsageError(
      run([...TRAIN, '--beta-anneal', '1', '--out', 'x.json'], { cwd: dir }),
      /invalid value for --beta-anneal: 1 /,
    );
    expectUsageError(
      run([...TRAIN, '--backend', 'gpu', '--out', 'x.json'], { cwd: dir }),
      /invalid value for --backend: "gpu"/,
    );
    expect(listing(dir)).toEqual([]);
  });
});

describe('mc and sample with a neural checkpoint', () => {
  it('runs exact Metropolis-Hastings with the network: every estimate within 4 stdErr', () => {
    const out = runJson<{
      scheme: string;
      acceptanceRate: number;
      observables: Record<
        string,
        { mean: number; stdErr: number; exact: number; deviation: number }
      >;
      workers: number;
    }>(
      [
        'mc',
        '--checkpoint',
        'net.made.json',
        '--scheme',
        'disconnected',
        '--chains',
        '16',
        '--steps',
        '400',
        '--json',
      ],
      { cwd: directory },
    );
    expect(out.scheme).toBe('disconnected');
    // the network draws on the main thread: the default --workers 2 was reported
    expect(out.workers).toBe(1);
    expect(out.acceptanceRate).toBeGreaterThan(0.5);
    const names = Object.keys(out.observables);
    expect(names).toContain('energyPerSite');
    for (const name of names) {
      const o = out.observables[name]!;
      expect(o.stdErr, name).toBeGreaterThan(0);
      expect(Math.abs(o.deviation), name).toBeLessThan(4);
    }
  });

  it('refuses the connected scheme and worker threads with the reason', () => {
    expectUsageError(
      run(['mc', '--checkpoint', 'net.made.json', '--scheme', 'connected'], { cwd: directory }),
      /--scheme connected needs an MPS checkpoint, and "net\.made\.json" is a neural network/,
    );
    expectUsageError(
      run(['mc', '--checkpoint', 'net.made.json', '--scheme', 'disconnected', '--workers', '2'], {
        cwd: directory,
      }),
      /--workers 2: the neural proposal draws on the main thread/,
    );
    // a checkpoint of other sizes
    expectUsageError(
      run(
        ['mc', 'ising', '--lx', '4', '--checkpoint', 'net.made.json', '--scheme', 'disconnected'],
        { cwd: directory },
      ),
      /holds a network of 9 sites for ising/,
    );
  });

  it('refuses a corrupted network, naming the file and the field', () => {
    const text = readFileSync(join(directory, 'net.made.json'), 'utf8');
    const corrupted = text.replace(
      /"b1": "(.)/,
      (_, c: string) => `"b1": "${c === 'A' ? 'B' : 'A'}`,
    );
    expect(corrupted).not.toBe(text);
    writeFileSync(join(directory, 'corrupted.made.json'), corrupted);
    expectUsageError(
      run(['mc', '--checkpoint', 'corrupted.made.json', '--scheme', 'disconnected'], {
        cwd: directory,
      }),
      /corrupted or invalid neural checkpoint "corrupted\.made\.json": invalid file: checksum: checksum mismatch/,
    );
  });

  it('samples the network exactly (CSV), and refuses --noise-time', () => {
    const r = run(
      ['sample', '--checkpoint', 'net.made.json', '--count', '50', '--out', 'samples.csv'],
      { cwd: directory },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote 50 exact samples .* samples of the network, not of pi/);
    const lines = readFileSync(join(directory, 'samples.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('0,1,2,3,4,5,6,7,8');
    expect(lines).toHaveLength(51);
    for (const line of lines.slice(1)) expect(line).toMatch(/^[01](,[01]){8}$/);
    expectUsageError(
      run(['sample', '--checkpoint', 'net.made.json', '--count', '5', '--noise-time', '0.5'], {
        cwd: directory,
      }),
      /--noise-time generates through the diffusion of an MPS/,
    );
  });
});

describe('train --proposal neural --network pixelcnn', () => {
  // a tiny PixelCNN on the 3 x 3 cylinder: about 2 s of training on the wasm backend
  const PIXEL = [
    'train',
    ...ISING,
    '--proposal',
    'neural',
    '--network',
    'pixelcnn',
    '--kernel-size',
    '3',
    '--channels',
    '8',
    '--depth',
    '2',
    '--steps',
    '150',
    '--batch',
    '128',
    '--learning-rate',
    '0.01',
    '--beta-anneal',
    '0.9',
  ];
  let pixelDirectory: string;

  it('resumes after SIGKILL and ends bit for bit where an uninterrupted run ends', async () => {
    pixelDirectory = temporaryDirectory();
    const dir = pixelDirectory;
    const args = [...PIXEL, '--out', 'resumed.pixelcnn.json'];
    const state = join(dir, 'resumed.pixelcnn.json.state');
    await interruptRun(args, { cwd: dir, state, out: join(dir, 'resumed.pixelcnn.json') });
    expect(readFileSync(state, 'utf8')).toMatch(/^\{\s*"format": "latticediff\.pixelcnn"/);

    // the state of a PixelCNN run is refused by a MADE run and by one of other channels
    copyFileSync(state, join(dir, 'made.json.state'));
    expectUsageError(
      run([...TRAIN, '--out', 'made.json'], { cwd: dir }),
      /cannot resume from "made\.json\.state": it holds the training state of a different run/,
    );
    copyFileSync(state, join(dir, 'wider.json.state'));
    const wider = PIXEL.map((a, i) => (PIXEL[i - 1] === '--channels' ? '16' : a));
    expectUsageError(
      run([...wider, '--out', 'wider.json'], { cwd: dir }),
      /cannot resume from "wider\.json\.state": it holds the training state of a different run/,
    );

    const resumed = run(args, { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /resumed from resumed\.pixelcnn\.json\.state after step \d+ of 150/,
    );
    expect(resumed.stdout).toMatch(
      /PixelCNN with 2 masked 3 x 3 convolution layers of 8 channels \(periodic along y\), 150 reverse-KL steps .* \(resumed after step \d+\)/,
    );
    expect(listing(dir)).toEqual(['made.json.state', 'resumed.pixelcnn.json', 'wider.json.state']);

    const uninterrupted = runJson<TrainJson & { network: Record<string, unknown> }>(
      [...PIXEL, '--out', 'uninterrupted.pixelcnn.json', '--json'],
      { cwd: dir },
    );
    expect(uninterrupted.network).toEqual({
      kind: 'PixelCNN',
      kernelSize: 3,
      channels: 8,
      depth: 2,
      periodic: [false, true],
    });
    expect(uninterrupted.bound.kl).toBeLessThan(0.1);
    // the same file, byte for byte: weights, Adam state, history and bound
    expect(readFileSync(join(dir, 'resumed.pixelcnn.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'uninterrupted.pixelcnn.json'), 'utf8'),
    );
  });

  it('mc and sample read the PixelCNN checkpoint', () => {
    const out = runJson<{
      scheme: string;
      acceptanceRate: number;
      observables: Record<string, { stdErr: number; deviation: number }>;
      workers: number;
    }>(
      [
        'mc',
        '--checkpoint',
        'resumed.pixelcnn.json',
        '--scheme',
        'disconnected',
        '--chains',
        '16',
        '--steps',
        '400',
        '--json',
      ],
      { cwd: pixelDirectory },
    );
    expect(out.scheme).toBe('disconnected');
    // the network draws on the main thread: the default --workers 2 was reported
    expect(out.workers).toBe(1);
    expect(out.acceptanceRate).toBeGreaterThan(0.5);
    expect(Object.keys(out.observables)).toContain('energyPerSite');
    for (const [name, o] of Object.entries(out.observables)) {
      expect(o.stdErr, name).toBeGreaterThan(0);
      expect(Math.abs(o.deviation), name).toBeLessThan(4);
    }
    const r = run(
      ['sample', '--checkpoint', 'resumed.pixelcnn.json', '--count', '20', '--out', 's.csv'],
      { cwd: pixelDirectory },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(join(pixelDirectory, 's.csv'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    for (const line of lines.slice(1)) expect(line).toMatch(/^[01](,[01]){8}$/);
    expectUsageError(
      run(['mc', '--checkpoint', 'resumed.pixelcnn.json', '--scheme', 'connected'], {
        cwd: pixelDirectory,
      }),
      /--scheme connected needs an MPS checkpoint, and "resumed\.pixelcnn\.json" is a neural network/,
    );
  });

  it('refuses a lattice that is not 2D and the flags of the other network, naming them', () => {
    const dir = temporaryDirectory();
    const neural = ['--proposal', 'neural'];
    const cases: [string[], RegExp][] = [
      [
        ['train', 'fredkin', '--sites', '8', ...neural, '--network', 'pixelcnn'],
        /--network pixelcnn needs a 2D square \(or rectangular\) lattice, and fredkin is a chain of 8 sites/,
      ],
      [
        ['train', ...ISING, ...neural, '--network', 'cnn'],
        /invalid value for --network: "cnn" \(expected one of made, pixelcnn\)/,
      ],
      [
        ['train', ...ISING, ...neural, '--kernel-size', '3'],
        /--kernel-size applies to --network pixelcnn, not to the MADE network \(the default/,
      ],
      [
        ['train', ...ISING, ...neural, '--network', 'made', '--channels', '4'],
        /--channels applies to --network pixelcnn, not to the MADE network \(--network made/,
      ],
      [
        ['train', ...ISING, ...neural, '--network', 'pixelcnn', '--hidden', '8'],
        /--hidden applies to the MADE network \(--network made\), not to --network pixelcnn/,
      ],
      [
        ['train', ...ISING, ...neural, '--network', 'pixelcnn', '--z2'],
        /--z2 applies to the MADE network \(--network made\), not to --network pixelcnn/,
      ],
      [
        ['train', ...ISING, ...neural, '--network', 'pixelcnn', '--kernel-size', '4'],
        /invalid value for --kernel-size: 4 \(expected an odd integer/,
      ],
      [
        ['train', ...ISING, ...neural, '--network', 'pixelcnn', '--kernel-size', '9'],
        /invalid value for --kernel-size: 9 \(expected at most 2 L \+ 1 along a periodic axis/,
      ],
      [
        ['train', ...ISING, ...neural, '--network', 'pixelcnn', '--depth', '0'],
        /invalid value for --depth: 0/,
      ],
      [['train', ...ISING, '--depth', '2'], /--depth applies to --proposal neural only/],
    ];
    for (const [args, pattern] of cases) {
      expectUsageError(run([...args, '--out', 'x.json'], { cwd: dir }), pattern);
    }
    expect(listing(dir)).toEqual([]);
  });
});

describe('without @latticediff/neural installed', () => {
  it('says which package is missing and how to install it', async () => {
    let missing: unknown;
    try {
      await import('@latticediff/neural-is-not-installed' as string);
    } catch (error) {
      missing = error;
    }
    const error = neuralImportError(
      missing,
      '@latticediff/neural-is-not-installed',
      '--proposal neural',
    );
    expect(error.name).toBe('UsageError');
    expect(error.message).toMatch(
      /^--proposal neural needs the package @latticediff\/neural-is-not-installed, which is not installed/,
    );
    expect((error as { hint?: string }).hint).toMatch(/npm install -g @latticediff\/neural/);
    // installed, but a tfjs peer is missing
    const peer = Object.assign(
      new Error(
        "Cannot find package '@tensorflow/tfjs-core' imported from /x/neural/dist/index.js",
      ),
      { code: 'ERR_MODULE_NOT_FOUND' },
    );
    const peerError = neuralImportError(peer, '@latticediff/neural', '--proposal neural');
    expect(peerError.message).toMatch(
      /@latticediff\/neural is installed but cannot be loaded: @tensorflow\/tfjs-core is missing/,
    );
    expect((peerError as { hint?: string }).hint).toMatch(/npm install @tensorflow\/tfjs-core/);
    // anything else is not a usage error
    const other = new Error('boom');
    expect(neuralImportError(other, '@latticediff/neural', '--proposal neural')).toBe(other);
  });
});
