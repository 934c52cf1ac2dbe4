/**
 * A masked autoregressive network (MADE: Germain, Gregor, Murray, Larochelle, ICML 2015) over a
 * lattice model's sites in its site order, as in variational autoregressive networks (VAN: Wu,
 * Wang, Zhang, PRL 122, 080602, 2019): one hidden tanh layer with masked weights plus masked
 * direct connections from the inputs to the outputs, one-hot inputs (d digits per site) and a
 * softmax over the d digits of each site. The output of site i depends on the digits of sites
 * < i only; site 0's conditional is its bias alone (VAN's convention for the first site).
 *
 * Exact proposals from a float32 network. The draws are made site by site: pass i runs the
 * network on the digits drawn so far (later sites zero), reads site i's float32 softmax,
 * normalises it in float64, draws with a float64 uniform, and adds the float64 log of the chosen
 * conditional to log q. `logProbabilities` evaluates given configurations by the same passes with
 * the digits read instead of drawn, so the inputs of every pass, and so the float32 conditionals,
 * are the ones the sampler used: log q of a draw and its evaluation are equal bit for bit (same
 * batch size), and q is a normalised distribution to float64 rounding. Metropolis-Hastings with
 * it is exact to the last bit, whatever float32 does to the network's outputs.
 */
import {
  assertInteger,
  assertKnownOptions,
  createRandom,
  invalidArgument,
} from '@latticediff/tensor-network';
import { tf } from './backend';

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
}

/** Draws of the network with the float64 log q of the process that drew them. */
export interface NeuralSampleResult {
  data: Int32Array;
  count: number;
  logProbabilities: Float64Array;
}

/** A configuration batch (`count` rows of N digits). */
export interface DigitBatch {
  data: ArrayLike<number>;
  count: number;
}

export class MADE {
  readonly sites: number;
  readonly localDimension: number;
  readonly hidden: number;
  private readonly w0: tf.Variable;
  private readonly w1: tf.Variable;
  private readonly b1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly b2: tf.Variable;
  private readonly m0: tf.Tensor2D;
  private readonly m1: tf.Tensor2D;
  private readonly m2: tf.Tensor2D;

  private constructor(sites: number, d: number, hidden: number, seed: number) {
    this.sites = sites;
    this.localDimension = d;
    this.hidden = hidden;
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
    this.w0 = tf.variable(tf.tensor2d(uniform(nd * nd, 1 / Math.sqrt(nd)), [nd, nd]));
    this.w1 = tf.variable(tf.tensor2d(uniform(nd * hidden, 1 / Math.sqrt(nd)), [nd, hidden]));
    this.b1 = tf.variable(tf.tensor1d(uniform(hidden, 1 / Math.sqrt(nd))));
    this.w2 = tf.variable(tf.tensor2d(uniform(hidden * nd, 1 / Math.sqrt(hidden)), [hidden, nd]));
    this.b2 = tf.variable(tf.zeros([nd]));
  }

  /** A new network with seeded uniform initial weights (near-uniform conditionals). */
  static create(options: MADEOptions): MADE {
    const fn = 'MADE.create';
    if (typeof options !== 'object' || options === null) {
      invalidArgument(fn, 'options', options, 'an options object { sites, seed, ... }');
    }
    assertKnownOptions(fn, options, ['sites', 'localDimension', 'hidden', 'seed']);
    assertInteger(fn, 'sites', options.sites, 1, 4096);
    const d = options.localDimension ?? 2;
    assertInteger(fn, 'localDimension', d, 2, 64);
    const hidden = options.hidden ?? Math.max(8, 4 * options.sites);
    assertInteger(fn, 'hidden', hidden, 1, 65536);
    assertInteger(fn, 'seed', options.seed, 0);
    return new MADE(options.sites, d, hidden, options.seed);
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

  /** Differentiable float32 log q(x) of one-hot inputs [B, N d] (one full pass; for training). */
  logProbabilityTensor(oneHot: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const logSoftmax = tf.logSoftmax(this.logits(oneHot));
      const picked = tf.mul(logSoftmax, tf.reshape(oneHot, logSoftmax.shape));
      return tf.sum(picked, [1, 2]) as tf.Tensor1D;
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
    return this.sequential(count, seed, null);
  }

  /** log q of each configuration by the sampler's own passes (equal to a draw's value). */
  logProbabilities(batch: DigitBatch): Float64Array {
    const fn = 'MADE.logProbabilities';
    if (typeof batch !== 'object' || batch === null) {
      invalidArgument(fn, 'batch', batch, 'a batch { data, count } of configurations');
    }
    assertInteger(fn, 'batch.count', batch.count, 0);
    const { sites: n, localDimension: d } = this;
    if (batch.data == null || batch.data.length < batch.count * n) {
      invalidArgument(
        fn,
        'batch.data',
        batch.data?.length,
        `at least count * N = ${batch.count * n} digits`,
      );
    }
    const digits = new Int32Array(batch.count * n);
    for (let k = 0; k < digits.length; k++) {
      const v = batch.data[k] as number;
      if (!Number.isInteger(v) || v < 0 || v >= d) {
        invalidArgument(fn, 'batch.data', v, `digits in [0, ${d - 1}] (entry ${k})`);
      }
      digits[k] = v;
    }
    return this.sequential(batch.count, 0, digits).logProbabilities;
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

  private sequential(count: number, seed: number, forced: Int32Array | null): NeuralSampleResult {
    const { sites: n, localDimension: d } = this;
    const data = new Int32Array(count * n);
    const logProbabilities = new Float64Array(count);
    if (count === 0) return { data, count, logProbabilities };
    const rng = forced === null ? createRandom(seed) : null;
    const x = new Float32Array(count * n * d);
    for (let i = 0; i < n; i++) {
      const conditional = tf.tidy(() => {
        const logits = this.logits(tf.tensor2d(x, [count, n * d]));
        return tf.softmax(tf.reshape(tf.slice(logits, [0, i, 0], [count, 1, d]), [count, d]));
      });
      const c = conditional.dataSync() as Float32Array;
      conditional.dispose();
      for (let b = 0; b < count; b++) {
        let total = 0;
        for (let s = 0; s < d; s++) total += c[b * d + s]!;
        let s: number;
        if (forced === null) {
          let target = rng!.float64() * total;
          s = d - 1;
          for (let t = 0; t < d - 1; t++) {
            if (target < c[b * d + t]!) {
              s = t;
              break;
            }
            target -= c[b * d + t]!;
          }
          // rounding can leave the target past the last positive weight
          while (s > 0 && !(c[b * d + s]! > 0)) s--;
        } else s = forced[b * n + i]!;
        data[b * n + i] = s;
        x[(b * n + i) * d + s] = 1;
        logProbabilities[b]! += Math.log(c[b * d + s]! / total);
      }
    }
    return { data, count, logProbabilities };
  }
}
