/**
 * A masked-convolution autoregressive network (PixelCNN: van den Oord et al., 2016) for square
 * lattices, as in variational autoregressive networks (VAN: Wu, Wang, Zhang, PRL 122, 080602,
 * 2019): a first k x k masked convolution that excludes the centre (type A), `depth - 1` k x k
 * masked convolutions that include it (type B), each followed by tanh, and a 1 x 1 convolution
 * to the d logits of each site, with a softmax over them. Site 0's conditional is a learned bias
 * (VAN's convention for the first site).
 *
 * The masks follow the model's 1D site order exactly, whatever it is: the output of the cell of
 * site i at a type-A layer reads the neighbour cell of site j only if j < i, at a type-B layer
 * only if j <= i. A feature of site i therefore depends on the digits of sites < i only, at
 * every layer. The masks are per cell and per kernel offset (an order need not be translation
 * invariant, and periodic padding is not), so they multiply the gathered neighbourhoods rather
 * than one shared kernel.
 *
 * The convolution, for the wasm backend (which has no Conv2DBackpropFilter and no gradient of
 * gather): the k^2 shifted copies of a layer's input are slices of one padded copy (tf.pad with
 * zeros, or tf.concat of edge slices on periodic axes), concatenated along the channels (im2col),
 * multiplied by the per-cell mask and contracted with the weight matrix [k^2 C_in, C_out] by one
 * matMul. Every op in it has a gradient on wasm; the matMul is the whole convolution's
 * arithmetic, the shifts are memory copies.
 *
 * Exact proposals from a float32 network, as for MADE: the draws are made site by site in
 * float64 JavaScript from the float32 weights. Because a feature of site i (at every layer)
 * depends only on the digits of sites < i, each site's features are computed once, just before
 * its digit is drawn, from features already computed (its neighbours before it in the order and
 * itself): a draw costs exactly one network evaluation, N (k^2 d + (depth - 1) k^2 C + C d) C
 * multiply-adds at most (the masks halve it), and no tfjs call. `logProbabilities` runs the same
 * operations with the digits read instead of drawn: log q of a draw equals its evaluation bit
 * for bit, and q is normalised to float64 rounding.
 */
import { createRandom } from '@latticediff/tensor-network';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
} from '@latticediff/tensor-network/internal';
import { tf } from './backend';
import { checkMetadata, type ReverseKLTrainingState } from './checkpoint';
import { drawDigit, exponentiate, tanh } from './float64';
import {
  type AutoregressiveNetwork,
  type DigitBatch,
  type NeuralSampleResult,
  readDigitBatch,
} from './network';
import {
  decodePixelCNNCheckpoint,
  encodePixelCNNCheckpoint,
  MAX_SELECTION_ENTRIES,
  type PixelCNNArchitecture,
  type PixelCNNCheckpoint,
  pixelCNNWeightShapes,
} from './pixelcnn-checkpoint';

/** What {@link PixelCNN.create} needs of a lattice geometry (a model's `geometry` is one). */
export interface PixelCNNGeometry {
  /** [Lx, Ly]. */
  readonly shape: readonly number[];
  /** Coordinates (ix, iy) of the sites in site order, 2 N entries. */
  readonly coordinates: ArrayLike<number>;
}

/** Options of {@link PixelCNN.create}. */
export interface PixelCNNOptions {
  /**
   * The square lattice and its site order (a 2D model's `geometry`). Either this or `lx` and
   * `ly` (column order: site = ix * ly + iy, the Ising model's default).
   */
  geometry?: PixelCNNGeometry;
  /** Extent along x (with `ly`, instead of `geometry`). */
  lx?: number;
  /** Extent along y (with `lx`, instead of `geometry`). */
  ly?: number;
  /** Digits per site d (default 2). */
  localDimension?: number;
  /** Odd kernel size k of the masked convolutions (default 3). */
  kernelSize?: number;
  /** Channels of the hidden layers (default 16). */
  channels?: number;
  /** Masked convolution layers: one type A, depth - 1 type B (default 3). */
  depth?: number;
  /**
   * Periodic padding along [x, y] (default [false, false]: zero padding). Pass a model's
   * `geometry.periodic` to let the convolutions see across its periodic boundaries; a periodic
   * axis needs length >= (k - 1) / 2.
   */
  periodic?: readonly boolean[];
  /** Seed of the initial weights. */
  seed: number;
}

const OPTION_KEYS = [
  'geometry',
  'lx',
  'ly',
  'localDimension',
  'kernelSize',
  'channels',
  'depth',
  'periodic',
  'seed',
];

export class PixelCNN implements AutoregressiveNetwork {
  readonly sites: number;
  readonly localDimension: number;
  readonly lx: number;
  readonly ly: number;
  readonly kernelSize: number;
  readonly channels: number;
  readonly depth: number;
  /** Periodic padding along x and y. */
  readonly periodic: readonly [boolean, boolean];
  /** Grid cell ix * ly + iy of each site, in site order. */
  private readonly cells: Int32Array;
  /** Site of each grid cell. */
  private readonly siteOfCell: Int32Array;
  private readonly params: tf.Variable[];
  /**
   * Per layer: the masked neighbourhood selection [N k^2, N], row (i, o) with a 1 at the
   * neighbour j of site i at kernel offset o if the mask lets i read j, zeros otherwise.
   */
  private readonly selections: tf.Tensor2D[];
  /** Their transposes [N, k^2 N] (the gradient: wasm's matMul is slow with transposeA). */
  private readonly transposed: tf.Tensor2D[];
  /** 1 at every site but site 0, and 1 at site 0 only, [N, 1, 1]. */
  private readonly keep: tf.Tensor3D;
  private readonly first: tf.Tensor3D;
  /**
   * Per layer, the sampler's neighbour lists in site order: for site i the entries
   * `start[i] .. start[i + 1]` of `site` and `offset` (a neighbour j the mask lets i read, and
   * its kernel offset).
   */
  private readonly lists: { start: Int32Array; site: Int32Array; offset: Int32Array }[];

  private constructor(a: PixelCNNArchitecture, seed: number, weights?: readonly Float32Array[]) {
    this.sites = a.sites;
    this.localDimension = a.localDimension;
    this.lx = a.lx;
    this.ly = a.ly;
    this.kernelSize = a.kernelSize;
    this.channels = a.channels;
    this.depth = a.depth;
    this.periodic = [a.periodic[0], a.periodic[1]];
    const n = a.sites;
    this.cells = Int32Array.from(a.cells);
    this.siteOfCell = new Int32Array(n);
    for (let i = 0; i < n; i++) this.siteOfCell[this.cells[i]!] = i;
    const { lx, ly, kernelSize: k, channels: c, localDimension: d } = this;
    const r = (k - 1) / 2;
    // the neighbour of a cell at offset o = (dx + r) k + (dy + r), or -1 outside
    const neighbour = (x: number, y: number, o: number): number => {
      let nx = x + Math.floor(o / k) - r;
      let ny = y + (o % k) - r;
      if (this.periodic[0]) nx = ((nx % lx) + lx) % lx;
      if (this.periodic[1]) ny = ((ny % ly) + ly) % ly;
      if (nx < 0 || nx >= lx || ny < 0 || ny >= ly) return -1;
      return this.siteOfCell[nx * ly + ny]!;
    };
    this.selections = [];
    this.transposed = [];
    this.lists = [];
    for (let l = 0; l < this.depth; l++) {
      const selection = new Float32Array(k * k * n * n);
      const start = new Int32Array(n + 1);
      const sites: number[] = [];
      const offsets: number[] = [];
      for (let i = 0; i < n; i++) {
        const cell = this.cells[i]!;
        const x = Math.floor(cell / ly);
        const y = cell % ly;
        for (let o = 0; o < k * k; o++) {
          const j = neighbour(x, y, o);
          // type A (first layer): sites before i; type B: sites before i and i itself
          if (j < 0 || (l === 0 ? j >= i : j > i)) continue;
          selection[(i * k * k + o) * n + j] = 1;
          sites.push(j);
          offsets.push(o);
        }
        start[i + 1] = sites.length;
      }
      this.selections.push(tf.tensor2d(selection, [k * k * n, n]));
      this.transposed.push(tf.tidy(() => tf.transpose(this.selections[l]!) as tf.Tensor2D));
      this.lists.push({ start, site: Int32Array.from(sites), offset: Int32Array.from(offsets) });
    }
    const keep = new Float32Array(n).fill(1);
    const first = new Float32Array(n);
    keep[0] = 0;
    first[0] = 1;
    this.keep = tf.tensor3d(keep, [n, 1, 1]);
    this.first = tf.tensor3d(first, [n, 1, 1]);
    const shapes = pixelCNNWeightShapes(a);
    if (weights) {
      // a checkpoint's weights, exactly (float32 in, float32 out)
      this.params = weights.map((values, i) =>
        tf.tidy(() => tf.variable(tf.tensor(values, shapes[i]!, 'float32'))),
      );
      return;
    }
    const rng = createRandom(seed);
    const uniform = (size: number, scale: number) => {
      const out = new Float32Array(size);
      for (let q = 0; q < size; q++) out[q] = (2 * rng.float64() - 1) * scale;
      return out;
    };
    this.params = [];
    for (let l = 0; l < this.depth; l++) {
      // about half the k^2 offsets are masked: the fan-in is about k^2 C_in / 2
      const scale = 1 / Math.sqrt(Math.max(1, (k * k * (l === 0 ? d : c)) / 2));
      const [w, b] = [shapes[2 * l]!, shapes[2 * l + 1]!];
      this.params.push(
        tf.tidy(() => tf.variable(tf.tensor(uniform(w[0]! * w[1]!, scale), w))),
        tf.tidy(() => tf.variable(tf.tensor(uniform(b[0]!, scale), b))),
      );
    }
    this.params.push(
      tf.tidy(() => tf.variable(tf.tensor(uniform(c * d, 1 / Math.sqrt(c)), [c, d]))),
      tf.tidy(() => tf.variable(tf.zeros([d]))),
      tf.tidy(() => tf.variable(tf.zeros([d]))),
    );
  }

  /** A new network with seeded uniform initial weights. */
  static create(options: PixelCNNOptions): PixelCNN {
    const fn = 'PixelCNN.create';
    if (typeof options !== 'object' || options === null) {
      invalidArgument(
        fn,
        'options',
        options,
        'an options object { geometry or lx, ly, seed, ... }',
      );
    }
    assertKnownOptions(fn, options, OPTION_KEYS);
    let lx: number;
    let ly: number;
    let cells: number[];
    if (options.geometry !== undefined) {
      const g = options.geometry;
      if (options.lx !== undefined) invalidArgument(fn, 'lx', options.lx, 'absent with geometry');
      if (options.ly !== undefined) invalidArgument(fn, 'ly', options.ly, 'absent with geometry');
      if (
        typeof g !== 'object' ||
        g === null ||
        !Array.isArray(g.shape) ||
        g.shape.length !== 2 ||
        g.coordinates == null
      ) {
        invalidArgument(
          fn,
          'geometry',
          g,
          'a square-lattice geometry { shape: [lx, ly], coordinates }',
        );
      }
      [lx, ly] = g.shape as [number, number];
      assertInteger(fn, 'geometry.shape[0]', lx, 1, 4096);
      assertInteger(fn, 'geometry.shape[1]', ly, 1, 4096);
      const n = lx * ly;
      if (n > 4096 || g.coordinates.length !== 2 * n) {
        invalidArgument(
          fn,
          'geometry',
          `${g.coordinates.length / 2} sites on ${lx} x ${ly}`,
          'every cell of the lattice exactly once (at most 4096 sites)',
        );
      }
      const seen = new Uint8Array(n);
      cells = [];
      for (let i = 0; i < n; i++) {
        const x = g.coordinates[2 * i] as number;
        const y = g.coordinates[2 * i + 1] as number;
        if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || x >= lx || y < 0 || y >= ly) {
          invalidArgument(
            fn,
            'geometry.coordinates',
            [x, y],
            `coordinates in [0, ${lx}) x [0, ${ly})`,
          );
        }
        if (seen[x * ly + y]) {
          invalidArgument(fn, 'geometry.coordinates', [x, y], 'each cell once');
        }
        seen[x * ly + y] = 1;
        cells.push(x * ly + y);
      }
    } else {
      assertInteger(fn, 'lx', options.lx, 1, 4096);
      assertInteger(fn, 'ly', options.ly, 1, 4096);
      lx = options.lx!;
      ly = options.ly!;
      if (lx * ly > 4096) invalidArgument(fn, 'lx', lx, `lx * ly <= 4096 (ly = ${ly})`);
      cells = Array.from({ length: lx * ly }, (_, i) => i);
    }
    const d = options.localDimension ?? 2;
    assertInteger(fn, 'localDimension', d, 2, 64);
    const k = options.kernelSize ?? 3;
    assertInteger(fn, 'kernelSize', k, 1, 63);
    if (k % 2 !== 1) invalidArgument(fn, 'kernelSize', k, 'an odd integer');
    const channels = options.channels ?? 16;
    assertInteger(fn, 'channels', channels, 1, 4096);
    const depth = options.depth ?? 3;
    assertInteger(fn, 'depth', depth, 1, 64);
    const periodic = options.periodic ?? [false, false];
    if (
      !Array.isArray(periodic) ||
      periodic.length !== 2 ||
      periodic.some((v) => typeof v !== 'boolean')
    ) {
      invalidArgument(fn, 'periodic', periodic, 'two booleans [x, y]');
    }
    const r = (k - 1) / 2;
    if ((periodic[0] && r > lx) || (periodic[1] && r > ly)) {
      invalidArgument(fn, 'kernelSize', k, 'at most 2 L + 1 along a periodic axis of length L');
    }
    if (k * k * lx * ly * lx * ly > MAX_SELECTION_ENTRIES) {
      invalidArgument(
        fn,
        'kernelSize',
        k,
        `k^2 N^2 <= 2^25 for N = ${lx * ly} sites (the dense selection matrices of the convolutions)`,
      );
    }
    assertInteger(fn, 'seed', options.seed, 0);
    return new PixelCNN(
      {
        sites: lx * ly,
        localDimension: d,
        lx,
        ly,
        cells,
        periodic: [periodic[0]!, periodic[1]!],
        kernelSize: k,
        channels,
        depth,
      },
      options.seed,
    );
  }

  /** The trainable variables: w1, b1, ..., w_depth, b_depth, wOut, bOut, bFirst. */
  get variables(): tf.Variable[] {
    return [...this.params];
  }

  /** Copies of the weights (float32), in the order of {@link PixelCNN.variables}. */
  weights(): Float32Array[] {
    return this.params.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  private architecture(): PixelCNNArchitecture {
    return {
      sites: this.sites,
      localDimension: this.localDimension,
      lx: this.lx,
      ly: this.ly,
      cells: Array.from(this.cells),
      periodic: this.periodic,
      kernelSize: this.kernelSize,
      channels: this.channels,
      depth: this.depth,
    };
  }

  /**
   * This network as a `latticediff.pixelcnn` checkpoint (FORMAT.md of this package): its layout,
   * sizes and float32 weights exactly, a CRC-32 checksum, optionally the state of a reverse-KL
   * training run (`trainer`) and JSON `metadata`.
   */
  toJSON(options?: {
    trainer?: { trainingState(): ReverseKLTrainingState };
    metadata?: Record<string, unknown>;
  }): PixelCNNCheckpoint {
    const opts = typeof options === 'object' && options !== null ? options : {};
    const training = opts.trainer?.trainingState();
    return encodePixelCNNCheckpoint({
      ...this.architecture(),
      weights: this.weights(),
      ...(training ? { training } : {}),
      metadata: checkMetadata('PixelCNN.toJSON', opts.metadata),
    });
  }

  /** The network of a `latticediff.pixelcnn` checkpoint, with the same weights bit for bit. */
  static fromJSON(json: string | PixelCNNCheckpoint | Record<string, unknown>): PixelCNN {
    const decoded = decodePixelCNNCheckpoint(json);
    return new PixelCNN(decoded, 0, decoded.weights);
  }

  /** The `metadata` object of a checkpoint (`{}` when it has none), after checking the file. */
  static readMetadata(
    json: string | PixelCNNCheckpoint | Record<string, unknown>,
  ): Record<string, unknown> {
    return decodePixelCNNCheckpoint(json).metadata;
  }

  /** Whether a decoded checkpoint has this network's architecture. */
  sameArchitecture(other: PixelCNNArchitecture): boolean {
    const a = this.architecture();
    return (
      a.sites === other.sites &&
      a.localDimension === other.localDimension &&
      a.lx === other.lx &&
      a.ly === other.ly &&
      a.kernelSize === other.kernelSize &&
      a.channels === other.channels &&
      a.depth === other.depth &&
      a.periodic[0] === other.periodic[0] &&
      a.periodic[1] === other.periodic[1] &&
      a.cells.every((c, i) => c === other.cells[i])
    );
  }

  /** One-hot float32 encoding [count, N d] of a batch of digits, in site order. */
  oneHot(batch: DigitBatch): Float32Array {
    const { sites: n, localDimension: d } = this;
    const x = new Float32Array(batch.count * n * d);
    for (let b = 0; b < batch.count; b++) {
      for (let i = 0; i < n; i++) x[(b * n + i) * d + (batch.data[b * n + i] as number)] = 1;
    }
    return x;
  }

  /** The selection of layer l applied to h [N, X], with its gradient by the stored transpose. */
  private select(l: number, h: tf.Tensor2D): tf.Tensor2D {
    const selection = this.selections[l]!;
    const transposed = this.transposed[l]!;
    return tf.customGrad(((x: tf.Tensor) => ({
      value: tf.matMul(selection, x as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor) => tf.matMul(transposed, dy as tf.Tensor2D),
    })) as CustomGradient)(h) as tf.Tensor2D;
  }

  /** Logits [N, B, d] of the conditionals (site-major) and the inputs in the same layout. */
  private siteLogits(oneHot: tf.Tensor2D): { logits: tf.Tensor3D; inputs: tf.Tensor3D } {
    const { kernelSize: k, channels: c, localDimension: d, sites: n } = this;
    const count = oneHot.shape[0];
    // (the inputs are not differentiated: the transpose is a constant's)
    const inputs = tf.transpose(tf.reshape(oneHot, [count, n, d]), [1, 0, 2]) as tf.Tensor3D;
    let h = tf.reshape(inputs, [n, count * d]) as tf.Tensor2D;
    for (let l = 0; l < this.depth; l++) {
      const cin = l === 0 ? d : c;
      // every site's masked k x k neighbourhood (im2col by a 0/1 matMul), [N, k^2, B, C_in],
      // as rows (site, draw) of k^2 C_in entries
      const selected = tf.reshape(this.select(l, h), [n, k * k, count, cin]);
      const patches = tf.reshape(tf.transpose(selected, [0, 2, 1, 3]), [n * count, k * k * cin]);
      const out = tf.add(
        linear(patches as tf.Tensor2D, this.params[2 * l]! as tf.Tensor2D),
        this.params[2 * l + 1]!,
      );
      h = tf.reshape(tf.tanh(out), [n, count * c]) as tf.Tensor2D;
    }
    const [wOut, bOut, bFirst] = this.params.slice(2 * this.depth);
    const logits = tf.reshape(
      tf.add(linear(tf.reshape(h, [n * count, c]) as tf.Tensor2D, wOut! as tf.Tensor2D), bOut!),
      [n, count, d],
    );
    // site 0's conditional is its own bias (VAN)
    return {
      logits: tf.add(tf.mul(logits, this.keep), tf.mul(this.first, bFirst!)) as tf.Tensor3D,
      inputs,
    };
  }

  /** Logits [B, N, d] of the conditionals for one-hot inputs [B, N d], in site order. */
  logits(oneHot: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => tf.transpose(this.siteLogits(oneHot).logits, [1, 0, 2]) as tf.Tensor3D);
  }

  /** Differentiable float32 log q(x) of one-hot inputs [B, N d] (full passes; for training). */
  logProbabilityTensor(oneHot: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const { logits, inputs } = this.siteLogits(oneHot);
      return tf.sum(tf.mul(tf.logSoftmax(logits), inputs), [0, 2]) as tf.Tensor1D;
    });
  }

  /** `count` exact draws of q with their float64 log q (see the module comment). */
  sample(count: number, seed: number): NeuralSampleResult {
    assertInteger('PixelCNN.sample', 'count', count, 0);
    assertInteger('PixelCNN.sample', 'seed', seed, 0);
    return this.sequential(count, seed, null);
  }

  /** log q of each configuration by the sampler's own passes (equal to a draw's value). */
  logProbabilities(batch: DigitBatch): Float64Array {
    const fn = 'PixelCNN.logProbabilities';
    const digits = readDigitBatch(fn, batch, this.sites, this.localDimension);
    return this.sequential(batch.count, 0, digits).logProbabilities;
  }

  /** This network as an independence proposal for `runChains` (disconnected scheme). */
  proposal(): {
    sites: number;
    localDimension: number;
    sample(count: number, seed: number): NeuralSampleResult;
    logProbabilities(batch: DigitBatch): Float64Array;
  } {
    return {
      sites: this.sites,
      localDimension: this.localDimension,
      sample: (count, seed) => this.sample(count, seed),
      logProbabilities: (batch) => this.logProbabilities(batch),
    };
  }

  /** Frees the network's tensors. */
  dispose(): void {
    for (const t of [
      ...this.params,
      ...this.selections,
      ...this.transposed,
      this.keep,
      this.first,
    ]) {
      t.dispose();
    }
  }

  /**
   * The sampler's passes in float64 JavaScript on the float32 weights. Site by site in the
   * order: the features of site i at every layer (from its unmasked neighbours, all before it
   * or itself, whose features are already final), then its logits, then its digit (drawn, or
   * read from `forced`). Sampling and evaluation run exactly these operations in this order.
   */
  private sequential(count: number, seed: number, forced: Int32Array | null): NeuralSampleResult {
    const { sites: n, localDimension: d, channels: c, depth } = this;
    const data = new Int32Array(count * n);
    const logProbabilities = new Float64Array(count);
    if (count === 0) return { data, count, logProbabilities };
    const rng = forced === null ? createRandom(seed) : null;
    const w = this.params.map((v) => v.dataSync() as Float32Array);
    const wOut = w[2 * depth]!;
    const bOut = w[2 * depth + 1]!;
    const bFirst = w[2 * depth + 2]!;
    const features = Array.from({ length: depth }, () => new Float64Array(n * c));
    const acc = new Float64Array(c);
    const weights = new Float64Array(d);
    for (let b = 0; b < count; b++) {
      const x = data.subarray(b * n, (b + 1) * n);
      let logQ = 0;
      for (let i = 0; i < n; i++) {
        for (let l = 0; l < depth; l++) {
          const weight = w[2 * l]!;
          const bias = w[2 * l + 1]!;
          const { start, site, offset } = this.lists[l]!;
          for (let o = 0; o < c; o++) acc[o] = bias[o]!;
          if (l === 0) {
            // one-hot inputs: the row of the neighbour's digit at its offset
            for (let e = start[i]!; e < start[i + 1]!; e++) {
              const row = (offset[e]! * d + x[site[e]!]!) * c;
              for (let o = 0; o < c; o++) acc[o]! += weight[row + o]!;
            }
          } else {
            const below = features[l - 1]!;
            for (let e = start[i]!; e < start[i + 1]!; e++) {
              const from = site[e]! * c;
              const base = offset[e]! * c;
              for (let q = 0; q < c; q++) {
                const v = below[from + q]!;
                const row = (base + q) * c;
                for (let o = 0; o < c; o++) acc[o]! += v * weight[row + o]!;
              }
            }
          }
          const out = features[l]!;
          for (let o = 0; o < c; o++) out[i * c + o] = tanh(acc[o]!);
        }
        // softmax over the d logits of site i, shifted by their maximum
        let max = Number.NEGATIVE_INFINITY;
        const top = features[depth - 1]!;
        for (let s = 0; s < d; s++) {
          let logit: number;
          if (i === 0) logit = bFirst[s]!;
          else {
            logit = bOut[s]!;
            for (let q = 0; q < c; q++) logit += top[i * c + q]! * wOut[q * d + s]!;
          }
          weights[s] = logit;
          if (logit > max) max = logit;
        }
        const total = exponentiate(weights, d, max);
        const s =
          forced === null ? drawDigit(weights, d, rng!.float64() * total) : forced[b * n + i]!;
        x[i] = s;
        logQ += Math.log(weights[s]! / total);
      }
      logProbabilities[b] = logQ;
    }
    return { data, count, logProbabilities };
  }
}

/** What tf.customGrad takes (its declared type does not admit typed parameters). */
type CustomGradient = Parameters<typeof tf.customGrad>[0];

/**
 * a b with its gradients by matMuls that need no transposed first operand (the wasm backend's
 * matMul with transposeA is several times slower than a transpose and a plain matMul).
 */
function linear(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: (tensors: tf.Tensor[]) => void) => {
    save([x, w]);
    return {
      value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, saved[1] as tf.Tensor2D, false, true),
        tf.matMul(tf.transpose(saved[0]!) as tf.Tensor2D, dy as tf.Tensor2D),
      ],
    };
  }) as CustomGradient)(a, b) as tf.Tensor2D;
}
