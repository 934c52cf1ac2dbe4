/**
 * A masked autoregressive network (MADE: Germain, Gregor, Murray, Larochelle, ICML 2015) over a
 * lattice model's sites in its site order, as in variational autoregressive networks (VAN: Wu,
 * Wang, Zhang, PRL 122, 080602, 2019): one hidden tanh layer with masked weights plus masked
 * direct connections from the inputs to the outputs, one-hot inputs (d digits per site) and a
 * softmax over the d digits of each site. The output of site i depends on the digits of sites
 * < i only; site 0's conditional is its bias alone (VAN's convention for the first site).
 *
 * Exact proposals from a float32 network. The draws are made site by site: site i's conditional
 * is computed in float64 JavaScript from the network's float32 weights and the digits drawn so
 * far (incrementally: each drawn digit adds its row of the masked weights to the hidden
 * pre-activations), drawn with a float64 uniform, and the float64 log of the chosen conditional
 * is added to log q. `logProbabilities` evaluates given configurations by the same operations
 * with the digits read instead of drawn, one configuration at a time: log q of a draw and its
 * evaluation are equal bit for bit (whatever the batch), and q is a normalised distribution to
 * float64 rounding. Metropolis-Hastings with it is exact to the last bit. The float32 network
 * evaluation of tfjs (`logits`, `logProbabilityTensor`) is what training differentiates; it
 * agrees with q to float32 rounding, which only affects how good the proposal is.
 */
import { createRandom } from '@latticediff/tensor-network';
import {
  assertInteger,
  assertKnownOptions,
  invalidArgument,
} from '@latticediff/tensor-network/internal';
import { tf } from './backend';
import {
  checkMetadata,
  decodeCheckpoint,
  encodeCheckpoint,
  type MADECheckpoint,
  type ReverseKLTrainingState,
  weightShapes,
} from './checkpoint';
import { drawDigit, exponentiate, tanh } from './float64';
import {
  type AutoregressiveNetwork,
  type DigitBatch,
  type NeuralSampleResult,
  readDigitBatch,
} from './network';

/** Options of {@link MADE.create}. */
export interface MADEOptions {
  /** Number of sites N (>= 1). */
  sites: number;
  /** Digits per site d (default 2). */
  localDimension?: number;
  /** Hidden units (default 4 N, at least 8). */
  hidden?: number;
  /** Seed of the initial weights. */
  seed: number;
  /**
   * Spin-flip (Z2) symmetrisation for d = 2 (VAN): q(x) = (q_net(x) + q_net(1 - x)) / 2, for
   * targets invariant under flipping every digit (the Ising model without field). Default false.
   */
  z2?: boolean;
}

export type { DigitBatch, NeuralSampleResult };

export class MADE implements AutoregressiveNetwork {
  readonly sites: number;
  readonly localDimension: number;
  readonly hidden: number;
  /** Whether q is symmetrised under flipping every digit (see {@link MADEOptions.z2}). */
  readonly z2: boolean;
  private readonly w0: tf.Variable;
  private readonly w1: tf.Variable;
  private readonly b1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly b2: tf.Variable;
  private readonly m0: tf.Tensor2D;
  private readonly m1: tf.Tensor2D;
  private readonly m2: tf.Tensor2D;

  private constructor(
    sites: number,
    d: number,
    hidden: number,
    seed: number,
    z2: boolean,
    weights?: readonly Float32Array[],
  ) {
    this.sites = sites;
    this.localDimension = d;
    this.hidden = hidden;
    this.z2 = z2;
    const nd = sites * d;
    const rng = createRandom(seed);
    const uniform = (size: number, scale: number) => {
      const out = new Float32Array(size);
      for (let k = 0; k < size; k++) out[k] = (2 * rng.float64() - 1) * scale;
      return out;
    };
    const mask0 = new Float32Array(nd * nd);
    const mask1 = new Float32Array(nd * hidden);
    const mask2 = new Float32Array(hidden * nd);
    // (weights: tf.tidy frees the initial values, the variables survive it)
    // hidden unit k has degree 1..N-1 (cyclic); input (i, s) degree i + 1; output (j, s) j + 1
    const degree = (k: number) => (sites > 1 ? (k % (sites - 1)) + 1 : 0);
    for (let i = 0; i < sites; i++) {
      for (let s = 0; s < d; s++) {
        for (let k = 0; k < hidden; k++) {
          if (sites > 1 && degree(k) >= i + 1) mask1[(i * d + s) * hidden + k] = 1;
          if (sites > 1 && i + 1 > degree(k)) mask2[k * nd + i * d + s] = 1;
        }
        for (let j = i + 1; j < sites; j++) {
          for (let t = 0; t < d; t++) mask0[(i * d + s) * nd + j * d + t] = 1;
        }
      }
    }
    this.m0 = tf.tensor2d(mask0, [nd, nd]);
    this.m1 = tf.tensor2d(mask1, [nd, hidden]);
    this.m2 = tf.tensor2d(mask2, [hidden, nd]);
    if (weights) {
      // a checkpoint's weights, exactly (float32 in, float32 out)
      const shapes = weightShapes(sites, d, hidden);
      [this.w0, this.w1, this.b1, this.w2, this.b2] = weights.map((values, i) =>
        tf.tidy(() => tf.variable(tf.tensor(values, shapes[i]!, 'float32'))),
      ) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
      return;
    }
    this.w0 = tf.tidy(() =>
      tf.variable(tf.tensor2d(uniform(nd * nd, 1 / Math.sqrt(nd)), [nd, nd])),
    );
    this.w1 = tf.tidy(() =>
      tf.variable(tf.tensor2d(uniform(nd * hidden, 1 / Math.sqrt(nd)), [nd, hidden])),
    );
    this.b1 = tf.tidy(() => tf.variable(tf.tensor1d(uniform(hidden, 1 / Math.sqrt(nd)))));
    this.w2 = tf.tidy(() =>
      tf.variable(tf.tensor2d(uniform(hidden * nd, 1 / Math.sqrt(hidden)), [hidden, nd])),
    );
    this.b2 = tf.tidy(() => tf.variable(tf.zeros([nd])));
  }

  /**
   * This network as a `latticediff.made` checkpoint (FORMAT.md of this package): its sizes and
   * float32 weights exactly, a CRC-32 checksum, and optionally the state of a reverse-KL
   * training run (`trainer`, whose network this must be: Adam moments and the position of its
   * random stream, for resuming bit for bit) and JSON `metadata`. `JSON.stringify(made)` gives
   * the checkpoint without training state or metadata.
   */
  toJSON(options?: {
    trainer?: { trainingState(): ReverseKLTrainingState };
    metadata?: Record<string, unknown>;
  }): MADECheckpoint {
    // JSON.stringify calls toJSON(key) with a string
    const opts = typeof options === 'object' && options !== null ? options : {};
    const training = opts.trainer?.trainingState();
    return encodeCheckpoint({
      sites: this.sites,
      localDimension: this.localDimension,
      hidden: this.hidden,
      z2: this.z2,
      weights: this.weights(),
      ...(training ? { training } : {}),
      metadata: checkMetadata('MADE.toJSON', opts.metadata),
    });
  }

  /**
   * The network of a `latticediff.made` checkpoint (its JSON text or parsed object), with the
   * same float32 weights bit for bit: its draws and log q equal the saved network's. Throws a
   * `FormatError` naming the field of a malformed or corrupted checkpoint. The training state,
   * if any, is read by `ReverseKLTrainer.fromJSON`; the metadata by {@link MADE.readMetadata}.
   */
  static fromJSON(json: string | MADECheckpoint | Record<string, unknown>): MADE {
    const decoded = decodeCheckpoint(json);
    return new MADE(
      decoded.sites,
      decoded.localDimension,
      decoded.hidden,
      0,
      decoded.z2,
      decoded.weights,
    );
  }

  /** The `metadata` object of a checkpoint (`{}` when it has none), after checking the file. */
  static readMetadata(
    json: string | MADECheckpoint | Record<string, unknown>,
  ): Record<string, unknown> {
    return decodeCheckpoint(json).metadata;
  }

  /** Copies of the weights (float32), in the order of {@link MADE.variables}. */
  weights(): Float32Array[] {
    return this.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  /** A new network with seeded uniform initial weights (near-uniform conditionals). */
  static create(options: MADEOptions): MADE {
    const fn = 'MADE.create';
    if (typeof options !== 'object' || options === null) {
      invalidArgument(fn, 'options', options, 'an options object { sites, seed, ... }');
    }
    assertKnownOptions(fn, options, ['sites', 'localDimension', 'hidden', 'seed', 'z2']);
    assertInteger(fn, 'sites', options.sites, 1, 4096);
    const d = options.localDimension ?? 2;
    assertInteger(fn, 'localDimension', d, 2, 64);
    const hidden = options.hidden ?? Math.max(8, 4 * options.sites);
    assertInteger(fn, 'hidden', hidden, 1, 65536);
    assertInteger(fn, 'seed', options.seed, 0);
    const z2 = options.z2 ?? false;
    if (typeof z2 !== 'boolean') invalidArgument(fn, 'z2', z2, 'true or false');
    if (z2 && d !== 2) {
      invalidArgument(fn, 'z2', z2, 'false for localDimension != 2 (the flip maps digit 0 <-> 1)');
    }
    return new MADE(options.sites, d, hidden, options.seed, z2);
  }

  /** The trainable variables. */
  get variables(): tf.Variable[] {
    return [this.w0, this.w1, this.b1, this.w2, this.b2];
  }

  /** Logits [B, N, d] of the conditionals for one-hot inputs [B, N d]. */
  logits(oneHot: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const hidden = tf.tanh(tf.add(tf.matMul(oneHot, tf.mul(this.w1, this.m1)), this.b1));
      const out = tf.add(
        tf.add(
          tf.matMul(hidden, tf.mul(this.w2, this.m2)),
          tf.matMul(oneHot, tf.mul(this.w0, this.m0)),
        ),
        this.b2,
      );
      return tf.reshape(out, [oneHot.shape[0], this.sites, this.localDimension]) as tf.Tensor3D;
    });
  }

  /**
   * Differentiable float32 log q(x) of one-hot inputs [B, N d] (full passes; for training),
   * symmetrised when `z2` is set.
   */
  logProbabilityTensor(oneHot: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const network = (x: tf.Tensor2D) => {
        const logSoftmax = tf.logSoftmax(this.logits(x));
        return tf.sum(tf.mul(logSoftmax, tf.reshape(x, logSoftmax.shape)), [1, 2]) as tf.Tensor1D;
      };
      if (!this.z2) return network(oneHot);
      const [count] = oneHot.shape;
      const flipped = tf.reshape(
        tf.reverse(tf.reshape(oneHot, [count, this.sites, 2]), 2),
        oneHot.shape,
      ) as tf.Tensor2D;
      return tf.sub(
        tf.logSumExp(tf.stack([network(oneHot), network(flipped)], 1), 1),
        Math.LN2,
      ) as tf.Tensor1D;
    });
  }

  /** One-hot float32 encoding [count, N d] of a batch of digits. */
  oneHot(batch: DigitBatch): Float32Array {
    const { sites: n, localDimension: d } = this;
    const x = new Float32Array(batch.count * n * d);
    for (let b = 0; b < batch.count; b++) {
      for (let i = 0; i < n; i++) x[(b * n + i) * d + (batch.data[b * n + i] as number)] = 1;
    }
    return x;
  }

  /** `count` exact draws of q with their float64 log q (see the module comment). */
  sample(count: number, seed: number): NeuralSampleResult {
    assertInteger('MADE.sample', 'count', count, 0);
    assertInteger('MADE.sample', 'seed', seed, 0);
    const drawn = this.sequential(count, seed, null);
    if (!this.z2) return drawn;
    // q = (q_net(x) + q_net(1 - x)) / 2: draw x from q_net, flip it with probability 1/2
    const flips = createRandom(seed).split(1);
    const n = this.sites;
    const mirror = drawn.data.map((v) => 1 - v);
    const logMirror = this.sequential(count, 0, mirror).logProbabilities;
    const logProbabilities = new Float64Array(count);
    for (let b = 0; b < count; b++) {
      logProbabilities[b] = symmetrised(drawn.logProbabilities[b]!, logMirror[b]!);
      if (flips.float64() < 0.5) {
        for (let i = 0; i < n; i++) drawn.data[b * n + i] = mirror[b * n + i]!;
      }
    }
    return { data: drawn.data, count, logProbabilities };
  }

  /** log q of each configuration by the sampler's own passes (equal to a draw's value). */
  logProbabilities(batch: DigitBatch): Float64Array {
    const fn = 'MADE.logProbabilities';
    const digits = readDigitBatch(fn, batch, this.sites, this.localDimension);
    const direct = this.sequential(batch.count, 0, digits).logProbabilities;
    if (!this.z2) return direct;
    const mirror = this.sequential(
      batch.count,
      0,
      digits.map((v) => 1 - v),
    ).logProbabilities;
    return direct.map((v, b) => symmetrised(v, mirror[b]!));
  }

  /**
   * This network as an independence proposal for `runChains` of @latticediff/monte-carlo
   * (disconnected scheme): draws with their log q, and log q of the chains' other states.
   */
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
    for (const t of [...this.variables, this.m0, this.m1, this.m2]) t.dispose();
  }

  /**
   * The sampler's passes, incremental and in plain float64 JavaScript on the network's float32
   * weights: site i's hidden pre-activations and direct outputs are the sums of the masked
   * weight rows of the digits drawn before it, updated as each digit is drawn, so a site costs
   * O(H d + N d) per sample instead of a network evaluation (and no tfjs call per site, each of
   * which costs more than the arithmetic at these sizes). Sampling and evaluation (`forced`) run
   * exactly these operations in this order: log q of a draw equals its evaluation bit for bit.
   */
  private sequential(count: number, seed: number, forced: Int32Array | null): NeuralSampleResult {
    const { sites: n, localDimension: d, hidden } = this;
    const nd = n * d;
    const data = new Int32Array(count * n);
    const logProbabilities = new Float64Array(count);
    if (count === 0) return { data, count, logProbabilities };
    const rng = forced === null ? createRandom(seed) : null;
    // (typed arrays are read outside tf.tidy, which would walk every element of its result)
    const masked = tf.tidy(() => [
      tf.mul(this.w0, this.m0),
      tf.mul(this.w1, this.m1),
      tf.transpose(tf.mul(this.w2, this.m2)), // [nd][hidden]: one output's weights contiguous
    ]);
    const [w0, w1, w2] = masked.map((t) => t.dataSync() as Float32Array);
    for (const t of masked) t.dispose();
    const b1 = this.b1.dataSync() as Float32Array;
    const b2 = this.b2.dataSync() as Float32Array;
    const pre = new Float64Array(hidden);
    const direct = new Float64Array(nd);
    const h = new Float64Array(hidden);
    const weights = new Float64Array(d);
    for (let b = 0; b < count; b++) {
      for (let k = 0; k < hidden; k++) pre[k] = b1![k]!;
      for (let k = 0; k < nd; k++) direct[k] = b2![k]!;
      let logQ = 0;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < hidden; k++) h[k] = tanh(pre[k]!);
        // softmax over the d logits of site i, shifted by their maximum
        let max = Number.NEGATIVE_INFINITY;
        for (let s = 0; s < d; s++) {
          const o = (i * d + s) * hidden;
          let acc = direct[i * d + s]!;
          for (let k = 0; k < hidden; k++) acc += h[k]! * w2![o + k]!;
          weights[s] = acc;
          if (acc > max) max = acc;
        }
        const total = exponentiate(weights, d, max);
        const s =
          forced === null ? drawDigit(weights, d, rng!.float64() * total) : forced[b * n + i]!;
        data[b * n + i] = s;
        logQ += Math.log(weights[s]! / total);
        if (i + 1 < n) {
          const row = i * d + s;
          for (let k = 0; k < hidden; k++) pre[k]! += w1![row * hidden + k]!;
          for (let k = (i + 1) * d; k < nd; k++) direct[k]! += w0![row * nd + k]!;
        }
      }
      logProbabilities[b] = logQ;
    }
    return { data, count, logProbabilities };
  }
}

/**
 * ln((e^a + e^b) / 2), symmetric in a and b bit for bit (the larger one first), so a draw and
 * its mirror image get the same value however they were reached.
 */
function symmetrised(a: number, b: number): number {
  const high = Math.max(a, b);
  const low = Math.min(a, b);
  if (high === Number.NEGATIVE_INFINITY) return high;
  return high + Math.log1p(Math.exp(low - high)) - Math.LN2;
}
