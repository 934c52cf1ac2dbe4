/**
 * Adam (Kingma and Ba) with a state that can be saved and restored exactly, so that training
 * resumed from a checkpoint continues bit for bit. The update is tfjs's `AdamOptimizer`'s, op for
 * op (float32 moments, bias corrections 1 - beta^t from running float32 products). tfjs's own
 * optimizer is not used because its `setWeights` recomputes those running products as
 * pow(beta, t + 1), which differs from the product accumulated step by step in the last bits
 * (measured here: 0.0046383911 against 0.0046383915 after 50 steps), so a resumed run would
 * drift from an uninterrupted one.
 */
import { tf } from './backend';

/** Adam's hyper-parameters (tfjs's defaults, with the float32 backends' epsilon). */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/** The complete state of an {@link Adam} optimizer (moments in the variables' order). */
export interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Steps taken. */
  iterations: number;
  /** beta1^(iterations + 1) as accumulated in float32 (a float32 value). */
  accBeta1: number;
  /** beta2^(iterations + 1) as accumulated in float32 (a float32 value). */
  accBeta2: number;
  /** First moments, one per variable (float32). */
  m: Float32Array[];
  /** Second moments, one per variable (float32). */
  v: Float32Array[];
}

export class Adam {
  private readonly variables: tf.Variable[];
  private readonly learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private iterations: number;
  private accBeta1: number;
  private accBeta2: number;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  /** A fresh optimizer for `variables`, or one continuing `state`. */
  constructor(variables: tf.Variable[], learningRate: number, state?: AdamState) {
    this.variables = variables;
    this.learningRate = state?.learningRate ?? learningRate;
    this.beta1 = state?.beta1 ?? ADAM_DEFAULTS.beta1;
    this.beta2 = state?.beta2 ?? ADAM_DEFAULTS.beta2;
    this.epsilon = state?.epsilon ?? ADAM_DEFAULTS.epsilon;
    this.iterations = state?.iterations ?? 0;
    this.accBeta1 = state?.accBeta1 ?? Math.fround(this.beta1);
    this.accBeta2 = state?.accBeta2 ?? Math.fround(this.beta2);
    // (tf.tidy frees the initial values; variables survive it)
    const moments = (saved: Float32Array[] | undefined) =>
      variables.map((variable, i) =>
        tf.tidy(() =>
          tf.variable(
            saved ? tf.tensor(saved[i]!, variable.shape, 'float32') : tf.zerosLike(variable),
            false,
          ),
        ),
      );
    this.m = moments(state?.m);
    this.v = moments(state?.v);
  }

  /**
   * One step on the gradient of `loss` with respect to the variables; returns the loss value
   * when `returnLoss` is set (the caller disposes it).
   */
  minimize(loss: () => tf.Scalar, returnLoss: boolean): tf.Scalar | null {
    const { value, grads } = tf.variableGrads(loss, this.variables);
    const { beta1, beta2, epsilon, learningRate } = this;
    tf.tidy(() => {
      // as tfjs: 1 - accBeta in float32, the moments' factors as float32 scalars
      const oneMinusAccBeta1 = Math.fround(1 - this.accBeta1);
      const oneMinusAccBeta2 = Math.fround(1 - this.accBeta2);
      this.variables.forEach((variable, i) => {
        const gradient = grads[variable.name]!;
        const m = tf.add(tf.mul(this.m[i]!, beta1), tf.mul(gradient, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i]!, beta2), tf.mul(tf.square(gradient), 1 - beta2));
        const mHat = tf.div(m, oneMinusAccBeta1);
        const vHat = tf.div(v, oneMinusAccBeta2);
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        variable.assign(
          tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), -learningRate), variable),
        );
      });
    });
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(beta2));
    this.iterations++;
    tf.dispose(grads);
    if (returnLoss) return value;
    value.dispose();
    return null;
  }

  /** A copy of the complete state. */
  state(): AdamState {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      iterations: this.iterations,
      accBeta1: this.accBeta1,
      accBeta2: this.accBeta2,
      m: this.m.map((t) => Float32Array.from(t.dataSync() as Float32Array)),
      v: this.v.map((t) => Float32Array.from(t.dataSync() as Float32Array)),
    };
  }

  /** Frees the moments. */
  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
