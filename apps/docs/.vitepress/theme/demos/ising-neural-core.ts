/**
 * The Ising demo's neural path, independent of the worker plumbing (so it also runs in Node):
 * start the tfjs backend (WebAssembly, with the cpu backend only as a reported fallback), train a
 * small MADE by reverse KL (the variational free energy of variational autoregressive networks)
 * with beta annealing, then sample the Boltzmann distribution of the Lx = Ly = L cylinder by exact
 * disconnected Metropolis-Hastings with the network as an independence proposal, and estimate
 * energy per site and |m| with error bars against the transfer-matrix values.
 *
 * Exactness: the network is float32, but every acceptance uses the float64 log q of the process
 * that drew each proposal (the sampler of @latticediff/neural records its conditionals in
 * float64 and evaluates the current state by the same operations), so detailed balance holds
 * exactly whatever the quality of the training. There is no denoising picture here: a network is
 * not a tensor network, and its noised distribution has no closed form.
 */

import { isingModel } from '@latticediff/model-ising';
import {
  freeEnergyBound,
  initBackend,
  MADE,
  type NeuralBackend,
  ReverseKLTrainer,
} from '@latticediff/neural';
import { createRandom, kernelEngine } from '@latticediff/tensor-network';
import { type DoneEvent, type SamplesEvent, sampleInSegments } from './ising-core';
import { PROGRESS_EVERY } from './ising-neural-presets';

export interface IsingNeuralDemoOptions {
  /** Linear size L (Lx = Ly = L). */
  size: number;
  beta: number;
  /** Hidden units of the MADE (one hidden layer). */
  hidden: number;
  /** Reverse-KL Adam steps. */
  trainingSteps: number;
  /** Exact draws of the network per training step. */
  batch: number;
  learningRate: number;
  /** beta annealing factor a: step t trains at beta (1 - a^t). */
  betaAnneal: number;
  /** Monte Carlo chains of the estimation phase (the pictures show them). */
  chains: number;
  /** Monte Carlo steps (one independence proposal each) per chain. */
  steps: number;
  seed: number;
  /** The tfjs backend asked for (the demo asks for 'wasm'). */
  backend: NeuralBackend;
}

export type IsingNeuralEvent =
  | {
      type: 'backend';
      /** The tfjs backend in use. */
      backend: NeuralBackend;
      requested: NeuralBackend;
      /** True when WebAssembly could not start and the cpu backend runs instead. */
      fallback: boolean;
    }
  | {
      type: 'exact';
      means: Record<string, number>;
      logPartitionFunction: number;
      seconds: number;
      /** The float64 kernels of tensor-network (the exact references), as in the MPS path. */
      engine: string;
    }
  | {
      type: 'training';
      step: number;
      steps: number;
      beta: number;
      /** Batch mean of ln q + beta E at this step (beta F_q, float64). */
      freeEnergy: number;
      stdErr: number;
    }
  | {
      type: 'trained';
      /** -E_q[ln q + beta E] from exact draws: a lower bound on ln Z. */
      logPartitionBound: number;
      stdErr: number;
      /** ln Z - bound = KL(q || pi). */
      kl: number;
      seconds: number;
    }
  | SamplesEvent
  | DoneEvent;

/** Exact draws behind the variational bound reported after training. */
const BOUND_DRAWS = 1024;

/** Runs the neural demo, reporting through `emit`. */
export async function runIsingNeuralDemo(
  options: IsingNeuralDemoOptions,
  emit: (event: IsingNeuralEvent) => void,
): Promise<void> {
  const start = performance.now();
  const { size, beta, seed } = options;
  // tf.setBackend + tf.ready, awaited; 'wasm' falls back to 'cpu' (reported) if it cannot start
  const backend = await initBackend(options.backend);
  emit({
    type: 'backend',
    backend,
    requested: options.backend,
    fallback: backend !== options.backend,
  });

  const target = { lx: size, ly: size, beta, boundary: 'cylinder' };
  const instance = isingModel.create(target);
  const t0 = performance.now();
  const exact = instance.exactObservables!();
  const means = exact.means as Record<string, number>;
  emit({
    type: 'exact',
    means,
    logPartitionFunction: exact.logPartitionFunction,
    seconds: (performance.now() - t0) / 1000,
    engine: kernelEngine(),
  });

  const streams = createRandom(seed);
  const made = MADE.create({
    sites: instance.sites,
    localDimension: instance.localDimension,
    hidden: options.hidden,
    seed: streams.split(0).uint32(),
  });
  try {
    // 1. reverse KL with beta annealing, in chunks so that progress is reported as it goes
    const trainStart = performance.now();
    const trainer = new ReverseKLTrainer(made, {
      model: instance,
      batch: options.batch,
      learningRate: options.learningRate,
      betaAnneal: options.betaAnneal,
      seed: streams.split(1).uint32(),
    });
    try {
      const steps = options.trainingSteps;
      while (trainer.step < steps) {
        const history = trainer.run(Math.min(PROGRESS_EVERY, steps - trainer.step));
        const last = history[history.length - 1]!;
        emit({ type: 'training', ...last, steps });
        // a turn of the event loop between chunks (a worker's messages go out; Node stays fair)
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      trainer.dispose();
    }
    const bound = freeEnergyBound(made, instance, {
      count: BOUND_DRAWS,
      seed: streams.split(2).uint32(),
    });
    const trainingSeconds = (performance.now() - trainStart) / 1000;
    emit({
      type: 'trained',
      logPartitionBound: bound.logPartitionBound,
      stdErr: bound.stdErr,
      kl: exact.logPartitionFunction - bound.logPartitionBound,
      seconds: trainingSeconds,
    });

    // 2. exact disconnected Metropolis-Hastings: every proposal a fresh draw of the network
    const sampleStart = performance.now();
    const { chains, steps } = options;
    await sampleInSegments(
      { model: instance, scheme: { kind: 'disconnected' }, proposal: made.proposal() },
      { chains, steps, root: streams.split(3), means },
      emit,
    );
    emit({
      type: 'done',
      seconds: {
        training: trainingSeconds,
        sampling: (performance.now() - sampleStart) / 1000,
        total: (performance.now() - start) / 1000,
      },
    });
  } finally {
    made.dispose();
  }
}
