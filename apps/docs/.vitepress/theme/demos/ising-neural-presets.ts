/**
 * The sizes of the Ising demo's neural path, apart from its computation so that the page can
 * import them without loading tfjs (the page is also rendered on the server, in Node).
 */

/** Training steps between two progress events. */
export const PROGRESS_EVERY = 10;

/** The default neural demo per lattice size L (measured in Node: see docs/demos/ising.md). */
export const NEURAL_PRESETS: Record<
  number,
  { hidden: number; trainingSteps: number; batch: number; steps: number }
> = {
  4: { hidden: 64, trainingSteps: 200, batch: 128, steps: 400 },
  5: { hidden: 96, trainingSteps: 250, batch: 128, steps: 500 },
  6: { hidden: 128, trainingSteps: 300, batch: 128, steps: 600 },
  7: { hidden: 160, trainingSteps: 350, batch: 128, steps: 600 },
  8: { hidden: 192, trainingSteps: 400, batch: 128, steps: 600 },
};
/** Learning rate and annealing of every preset. */
export const NEURAL_TRAINING = { learningRate: 5e-3, betaAnneal: 0.98 } as const;
