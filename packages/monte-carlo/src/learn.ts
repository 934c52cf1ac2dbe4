/**
 * Learning a probability MPS from samples: exact negative log-likelihood gradients (float64, from
 * @latticediff/tensor-network) with Adam, minibatches and a positivity-preserving parametrisation
 * of linear MPS; and a variational (reverse-KL) objective with score-function gradients from
 * exact samples. The trainer's state (parameters and Adam moments) serialises exactly, so a run
 * can be checkpointed and resumed bit for bit.
 */
import {
  type ConfigurationBatch,
  deserializeMPS,
  InvalidArgumentError,
  logProbabilities,
  MPS,
  type MPSKind,
  NumericalError,
  negativeLogLikelihood,
  type RandomGenerator,
  type SeedOrGenerator,
  sample,
  serializeMPS,
  toRandom,
} from '@latticediff/tensor-network';
import {
  assertFinite,
  assertInteger,
  assertKnownOptions,
  assertMPS,
  invalidArgument,
  optionKeys,
} from '@latticediff/tensor-network/internal';

/**
 * How the entries of a linear MPS depend on the trained parameters theta: `exp` (A = e^theta,
 * multiplicative steps, entries stay positive) or `square` (A = theta^2, exact zeros reachable).
 * A Born MPS is trained directly (A = theta).
 */
export type Parametrization = 'exp' | 'square' | 'identity';
/** The parametrizations a saved trainer state may name. */
const PARAMETRIZATIONS: readonly Parametrization[] = ['exp', 'square', 'identity'];

/** Options of {@link MPSTrainer}. */
export interface TrainerOptions {
  /** Adam step size (default 0.02). */
  learningRate?: number;
  /** Adam first-moment decay (default 0.9). */
  beta1?: number;
  /** Adam second-moment decay (default 0.999). */
  beta2?: number;
  /** Adam epsilon (default 1e-8). */
  epsilon?: number;
  /** Parametrisation of a linear MPS (default `exp`); a Born MPS always uses `identity`. */
  parametrization?: 'exp' | 'square';
}

/** One optimisation step's report. */
export interface StepReport {
  /** The objective before the step (mean NLL, or the variational free energy estimate). */
  loss: number;
  /** Euclidean norm of the gradient with respect to the parameters. */
  gradientNorm: number;
}

const FLOOR = Math.log(1e-300);

/** Trains the site tensors of an MPS with Adam on exact float64 gradients. */
export class MPSTrainer {
  readonly kind: MPSKind;
  readonly physicalDims: readonly number[];
  readonly parametrization: Parametrization;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private theta: Float64Array[];
  private m: Float64Array[];
  private v: Float64Array[];
  /** The arrays a step is computed into (the previous state's, swapped after each step). */
  private spare: { theta: Float64Array[]; m: Float64Array[]; v: Float64Array[] } | undefined;
  private steps: number;
  private current: MPS;

  constructor(initial: MPS, options: TrainerOptions = {}) {
    const fn = 'MPSTrainer';
    // an MPS of another installed copy of tensor-network is accepted (brand and structure are
    // checked); it is only read through its public fields
    assertMPS(fn, initial, 'initial');
    checkOptions(
      fn,
      options,
      optionKeys<TrainerOptions>()([
        'learningRate',
        'beta1',
        'beta2',
        'epsilon',
        'parametrization',
      ]),
    );
    this.learningRate = options.learningRate ?? 0.02;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    assertFinite(fn, 'learningRate', this.learningRate, Number.MIN_VALUE);
    assertFinite(fn, 'beta1', this.beta1, 0, 1 - Number.EPSILON);
    assertFinite(fn, 'beta2', this.beta2, 0, 1 - Number.EPSILON);
    assertFinite(fn, 'epsilon', this.epsilon, Number.MIN_VALUE);
    const p = options.parametrization ?? 'exp';
    if (p !== 'exp' && p !== 'square') throw invalid(fn, 'parametrization', p, '"exp" or "square"');
    this.kind = initial.kind;
    this.physicalDims = [...initial.physicalDims];
    this.parametrization = initial.kind === 'born' ? 'identity' : p;
    this.theta = initial.tensors.map((t) => encode(this.parametrization, t));
    this.m = initial.tensors.map((t) => new Float64Array(t.length));
    this.v = initial.tensors.map((t) => new Float64Array(t.length));
    this.steps = 0;
    this.current = initial;
  }

  /** The MPS at the current parameters. */
  get mps(): MPS {
    return this.current;
  }

  /** Number of Adam steps taken. */
  get stepCount(): number {
    return this.steps;
  }

  /** Mean negative log-likelihood of `batch` under the current MPS (no step). */
  negativeLogLikelihood(batch: ConfigurationBatch): number {
    const lp = logProbabilities(this.current, batch);
    let total = 0;
    for (let b = 0; b < lp.length; b++) total -= lp[b]!;
    return total / Math.max(lp.length, 1);
  }

  /** One Adam step on the mean negative log-likelihood of `batch`. */
  stepNegativeLogLikelihood(batch: ConfigurationBatch): StepReport {
    const result = negativeLogLikelihood(this.current, batch);
    return { loss: result.value, gradientNorm: this.apply(result.gradients) };
  }

  /**
   * One epoch over `data` in shuffled minibatches of `batchSize`; returns the mean loss over the
   * minibatches (each evaluated before its step).
   */
  epoch(data: ConfigurationBatch, options: { batchSize?: number; seed: SeedOrGenerator }): number {
    const fn = 'MPSTrainer.epoch';
    checkOptions(fn, options, optionKeys<typeof options>()(['batchSize', 'seed']));
    const n = this.physicalDims.length;
    const batchSize = options.batchSize ?? 256;
    assertInteger(fn, 'batchSize', batchSize, 1);
    if (
      !data ||
      typeof data.count !== 'number' ||
      data.count < 1 ||
      !data.data ||
      data.data.length < data.count * n
    ) {
      throw invalid(fn, 'data', data, `a non-empty batch of configurations with ${n} sites`);
    }
    const rng = toRandom(fn, options.seed);
    const order = new Int32Array(data.count);
    for (let k = 0; k < order.length; k++) order[k] = k;
    shuffle(order, rng);
    let total = 0;
    let batches = 0;
    const buffer = new Int32Array(Math.min(batchSize, data.count) * n);
    for (let start = 0; start < data.count; start += batchSize) {
      const size = Math.min(batchSize, data.count - start);
      for (let k = 0; k < size; k++) {
        const row = order[start + k]!;
        for (let i = 0; i < n; i++) buffer[k * n + i] = data.data[row * n + i]!;
      }
      total += this.stepNegativeLogLikelihood({
        data: buffer.subarray(0, size * n),
        count: size,
      }).loss;
      batches++;
    }
    return total / batches;
  }

  /**
   * One Adam step on the variational free energy F = E_{P}[log P(x) + beta E(x)] (reverse KL to
   * pi ∝ e^{-beta E} up to log Z_pi), with `samples` exact samples of the current MPS and the
   * score-function gradient sum_m (f_m - mean f) grad log P(x_m) / M, f = log P + beta E.
   * Samples with infinite energy (not allowed) are given the largest finite f of the batch plus
   * a margin, which pushes probability away from them; document on use.
   */
  stepVariational(
    energy: (batch: { data: Int32Array; count: number }) => Float64Array,
    options: { beta: number; samples: number; seed: SeedOrGenerator },
  ): StepReport {
    const fn = 'MPSTrainer.stepVariational';
    if (typeof energy !== 'function') {
      invalidArgument(fn, 'energy', energy, 'a function of a batch returning its energies');
    }
    checkOptions(fn, options, optionKeys<typeof options>()(['beta', 'samples', 'seed']));
    assertFinite(fn, 'beta', options.beta);
    assertInteger(fn, 'samples', options.samples, 1);
    const rng = toRandom(fn, options.seed);
    const drawn = sample(this.current, { count: options.samples, seed: rng });
    const e = energy(drawn);
    // one energy per sample, finite or +Infinity (a configuration that is not allowed): a short
    // array or NaN energies were taken as "not allowed" and the step counted
    if (e == null || typeof e.length !== 'number' || e.length !== drawn.count) {
      invalidArgument(
        fn,
        'energy',
        `a function returning ${e?.length} values`,
        `${drawn.count} energies, one per sample`,
      );
    }
    for (let b = 0; b < drawn.count; b++) {
      const v = e[b]!;
      if (typeof v !== 'number' || Number.isNaN(v) || v === Number.NEGATIVE_INFINITY) {
        invalidArgument(
          fn,
          'energy',
          `a function returning ${v} for sample ${b}`,
          'finite energies, or +Infinity where a configuration is not allowed',
        );
      }
    }
    const f = new Float64Array(drawn.count);
    let maxFinite = Number.NEGATIVE_INFINITY;
    for (let b = 0; b < drawn.count; b++) {
      f[b] = drawn.logProbabilities[b]! + options.beta * e[b]!;
      if (Number.isFinite(f[b]!)) maxFinite = Math.max(maxFinite, f[b]!);
    }
    let mean = 0;
    let finite = 0;
    for (let b = 0; b < drawn.count; b++) {
      if (!Number.isFinite(f[b]!)) f[b] = (Number.isFinite(maxFinite) ? maxFinite : 0) + 10;
      else finite++;
      mean += f[b]!;
    }
    mean /= drawn.count;
    // minimise F: gradient = E[(f - mean) grad log P]; negativeLogLikelihood gives -sum w grad log P
    const weights = new Float64Array(drawn.count);
    for (let b = 0; b < drawn.count; b++) weights[b] = -(f[b]! - mean) / drawn.count;
    const result = negativeLogLikelihood(this.current, drawn, { sampleWeights: weights });
    void finite;
    return { loss: mean, gradientNorm: this.apply(result.gradients) };
  }

  /** Applies an Adam step given gradients with respect to the site tensors; returns |grad theta|. */
  private apply(gradA: Float64Array[]): number {
    const t = this.steps + 1;
    const { beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** t;
    const correction2 = 1 - beta2 ** t;
    const step = (this.learningRate * Math.sqrt(correction2)) / correction1;
    let norm = 0;
    const tensors: Float64Array[] = [];
    // the step is computed into a second set of arrays (allocated once) and kept only if every
    // parameter stays finite (a learning rate of 1e308 left parameters of -Infinity, an NLL of
    // Infinity and a state that could not be saved); the sets then swap
    this.spare ??= {
      theta: this.theta.map((x) => new Float64Array(x.length)),
      m: this.m.map((x) => new Float64Array(x.length)),
      v: this.v.map((x) => new Float64Array(x.length)),
    };
    const next = this.spare;
    for (let i = 0; i < this.theta.length; i++) {
      const theta = next.theta[i]!;
      const m = next.m[i]!;
      const v = next.v[i]!;
      theta.set(this.theta[i]!);
      m.set(this.m[i]!);
      v.set(this.v[i]!);
      const a = this.current.tensors[i]!;
      const g = gradA[i]!;
      for (let k = 0; k < theta.length; k++) {
        // chain rule through the parametrisation
        let gt = g[k]!;
        if (this.parametrization === 'exp') gt *= a[k]!;
        else if (this.parametrization === 'square') gt *= 2 * theta[k]!;
        norm += gt * gt;
        m[k] = beta1 * m[k]! + (1 - beta1) * gt;
        v[k] = beta2 * v[k]! + (1 - beta2) * gt * gt;
        theta[k]! -= (step * m[k]!) / (Math.sqrt(v[k]!) + epsilon * Math.sqrt(correction2));
      }
      if (this.parametrization === 'exp') recentre(theta);
      const decoded = decode(this.parametrization, theta);
      for (let k = 0; k < theta.length; k++) {
        if (!Number.isFinite(theta[k]!) || !Number.isFinite(decoded[k]!)) {
          throw new NumericalError(
            `\`MPSTrainer\`: step ${t} would make the parameters non-finite (gradient norm ${Math.sqrt(norm)}, learningRate ${this.learningRate}); the trainer is left as before the step`,
          );
        }
      }
      tensors.push(decoded);
    }
    this.spare = { theta: this.theta, m: this.m, v: this.v };
    this.theta = next.theta;
    this.m = next.m;
    this.v = next.v;
    this.steps = t;
    this.current = MPS.unsafeCreate(this.kind, [...this.physicalDims], tensors);
    return Math.sqrt(norm);
  }

  /**
   * The complete trainer state as text: the MPS and the Adam moments in the latticediff.mps
   * format (exact float64), plus the step count and hyper-parameters. Restore with
   * {@link MPSTrainer.restore}; training continues bit for bit.
   */
  saveState(): string {
    const dims = [...this.physicalDims];
    const asBorn = (arrays: Float64Array[]) =>
      serializeMPS(
        MPS.unsafeCreate(
          'born',
          dims,
          arrays.map((a) => a.slice()),
        ),
      );
    return JSON.stringify({
      format: 'latticediff.trainer',
      version: 1,
      steps: this.steps,
      parametrization: this.parametrization,
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      theta: asBorn(this.theta),
      kind: this.kind,
      m: asBorn(this.m),
      v: asBorn(this.v),
    });
  }

  /** Restores a trainer saved by {@link MPSTrainer.saveState}. */
  static restore(text: string): MPSTrainer {
    const fn = 'MPSTrainer.restore';
    let state: Record<string, unknown>;
    try {
      state = JSON.parse(text) as Record<string, unknown>;
    } catch (cause) {
      throw invalid(
        fn,
        'text',
        typeof text === 'string' ? `${text.slice(0, 40)}...` : text,
        'a trainer state saved by saveState (not JSON)',
        cause,
      );
    }
    if (state?.format !== 'latticediff.trainer' || state.version !== 1) {
      throw invalid(
        fn,
        'text',
        state?.format,
        'a trainer state of format "latticediff.trainer" version 1',
      );
    }
    // (an unknown parametrization was read as exp, an unknown kind as linear, and a step count
    // of 1.5 or -1 taken as it was)
    if (state.kind !== 'born' && state.kind !== 'linear') {
      throw invalid(fn, 'text', state.kind, 'a trainer state whose kind is "linear" or "born"');
    }
    if (!(PARAMETRIZATIONS as readonly unknown[]).includes(state.parametrization)) {
      throw invalid(
        fn,
        'text',
        state.parametrization,
        `a trainer state whose parametrization is one of ${PARAMETRIZATIONS.map((p) => `"${p}"`).join(', ')}`,
      );
    }
    if (!Number.isSafeInteger(state.steps) || (state.steps as number) < 0) {
      throw invalid(fn, 'text', state.steps, 'a trainer state whose steps is an integer >= 0');
    }
    const theta = deserializeMPS(String(state.theta)).mps;
    const m = deserializeMPS(String(state.m)).mps;
    const v = deserializeMPS(String(state.v)).mps;
    const sameShape = (other: MPS) =>
      other.length === theta.length &&
      other.tensors.every((t, i) => t.length === theta.tensors[i]!.length);
    if (!sameShape(m) || !sameShape(v)) {
      throw invalid(
        fn,
        'text',
        'moments of another shape',
        'a trainer state whose m and v match theta',
      );
    }
    const kind = state.kind;
    const parametrization = state.parametrization as Parametrization;
    const mps = MPS.unsafeCreate(
      kind,
      [...theta.physicalDims],
      theta.tensors.map((t) => decode(parametrization, t)),
    );
    const trainer = new MPSTrainer(mps, {
      learningRate: Number(state.learningRate),
      beta1: Number(state.beta1),
      beta2: Number(state.beta2),
      epsilon: Number(state.epsilon),
      parametrization: parametrization === 'square' ? 'square' : 'exp',
    });
    theta.tensors.forEach((t, i) => {
      trainer.theta[i]!.set(t);
    });
    m.tensors.forEach((t, i) => {
      trainer.m[i]!.set(t);
    });
    v.tensors.forEach((t, i) => {
      trainer.v[i]!.set(t);
    });
    trainer.steps = Number(state.steps);
    return trainer;
  }
}

/** Checks an options object: an object with no property outside `known` (misspelt names are refused). */
function checkOptions(fn: string, options: unknown, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object');
  }
  assertKnownOptions(fn, options, known);
}

function encode(p: Parametrization, a: Float64Array): Float64Array {
  if (p === 'identity') return a.slice();
  if (p === 'square') return a.map((x) => Math.sqrt(x));
  return a.map((x) => (x > 0 ? Math.log(x) : FLOOR));
}

function decode(p: Parametrization, theta: Float64Array): Float64Array {
  if (p === 'identity') return theta.slice();
  if (p === 'square') return theta.map((x) => x * x);
  return theta.map((x) => Math.exp(x));
}

/** Shifts log-entries so the largest is 0 (the distribution is invariant under a site scale). */
function recentre(theta: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < theta.length; k++) if (theta[k]! > max) max = theta[k]!;
  if (Number.isFinite(max) && max !== 0) for (let k = 0; k < theta.length; k++) theta[k]! -= max;
}

function shuffle(order: Int32Array, rng: RandomGenerator): void {
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(rng.float64() * (k + 1));
    const t = order[k]!;
    order[k] = order[j]!;
    order[j] = t;
  }
}

function invalid(
  fn: string,
  argument: string,
  value: unknown,
  expected: string,
  cause?: unknown,
): InvalidArgumentError {
  return new InvalidArgumentError({ functionName: fn, argument, value, expected, cause });
}
