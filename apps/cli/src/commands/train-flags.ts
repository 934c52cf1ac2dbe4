/**
 * The flags of `latticediff train` for MPS proposals and their reading: the recipe tables, the
 * flag specs (each default written once), and {@link resolveTrainRun}, which turns flag values
 * into the run record, in process (the command then runs it and renders the result).
 */
import {
  type LatticeModel,
  type LatticeModelInstance,
  type LocalFactors,
  type ParameterValues,
  probeLocalFactors,
} from '@latticediff/lattice';
import {
  checkTrainingRecipe,
  PILOT_GRID_STEP,
  PILOT_MAX_GRID_POINTS,
} from '@latticediff/monte-carlo';
import { InvalidArgumentError } from '@latticediff/tensor-network';
import { type DefaultedFlag, type FlagSpec, type FlagValues, flagValue } from '../args';
import { createInstance, defaultAnnealing, JSON_FLAG, SEED_FLAG, WORKERS_FLAG } from '../common';
import { UsageError, usage } from '../errors';
import type { TrainingRun } from './train';
import { NEURAL_FLAGS, NEURAL_STEPS, NLL_DEFAULTS } from './train-neural';

export const PLOTS_FLAG: FlagSpec = {
  name: 'plots',
  type: 'string',
  valueName: 'DIR',
  description: 'write SVG pictures into this directory (created if missing)',
};

/**
 * The flags that `--recipe physics` stands for (explicit flags override them): start from the
 * Born MPS built from the model's local factors at the target, then refine it at the target by
 * two-site sweeps on disconnected Monte Carlo samples, keeping per round the sweep with the lowest
 * held-out NLL (the start included), so refinement never makes the proposal worse on held-out data.
 */
const PHYSICS_RECIPE: Readonly<Record<string, string | number | boolean>> = {
  kind: 'born',
  training: 'sweeps',
  sweeps: 2,
  replay: 4,
  scheme: 'disconnected',
  'validation-fraction': 0.25,
  rounds: 2,
};
/** Flags that only the learning recipes use: given without --recipe, they select `anneal`. */
export const LEARNING_ONLY_FLAGS = [
  'kind',
  'training',
  'restart',
  'path',
  'kappa',
  'anneal-from',
  'epochs',
  'noise-time',
] as const;

export const PHYSICS_RECIPE_TEXT = Object.entries(PHYSICS_RECIPE)
  .map(([name, value]) => (value === true ? `--${name}` : `--${name} ${value}`))
  .join(' ');

/** The flags that `--recipe restart` stands for (explicit flags override them). */
const RESTART_RECIPE: Readonly<Record<string, string | number | boolean>> = {
  kind: 'born',
  training: 'sweeps',
  restart: true,
  sweeps: 4,
  replay: 4,
  'local-sweeps': 20,
  scheme: 'disconnected',
  path: 'thermodynamic',
};
export const RESTART_RECIPE_TEXT = Object.entries(RESTART_RECIPE)
  .map(([name, value]) => (value === true ? `--${name}` : `--${name} ${value}`))
  .join(' ');

/**
 * The flags that `--recipe learn` stands for: the best recipe measured for learning from a random
 * MPS with the energy alone (explicit flags override them). Ising 8x8 at beta_c, bond dimension
 * 16, annealed from the model's declared start: KL(pi || P) 0.317-0.321 over three runs (seeds 1
 * and 2, starts 0.2 and 0.57 beta_c; SVD truncation of the exact MPS gives 0.33), disconnected
 * acceptance 0.61, about 30 minutes on a 2-core AMD EPYC; the same rounds without annealing end
 * at 0.43.
 */
const LEARN_RECIPE: Readonly<Record<string, string | number | boolean>> = {
  kind: 'born',
  training: 'sweeps',
  sweeps: 2,
  replay: 4,
  'validation-fraction': 0.25,
  scheme: 'disconnected',
  chains: 512,
  steps: 128,
  rounds: 22,
  'learning-rate-decay': 0.88,
  cutoff: 1e-8,
};
export const LEARN_RECIPE_TEXT = Object.entries(LEARN_RECIPE)
  .map(([name, value]) => (value === true ? `--${name}` : `--${name} ${value}`))
  .join(' ');

export type RecipeName = 'physics' | 'restart' | 'anneal' | 'learn';

/** The flag values a recipe stands for (anneal: none, the flags' own defaults). */
function recipeFlags(name: RecipeName): Readonly<Record<string, string | number | boolean>> {
  if (name === 'restart') return RESTART_RECIPE;
  if (name === 'physics') return PHYSICS_RECIPE;
  if (name === 'learn') return LEARN_RECIPE;
  return {};
}

/**
 * Reads the learning flags (with `--recipe` filling in the flags not given), checks their
 * combinations (exit 2 naming the flag) and returns the kind, the training method and the
 * optional fields of the run record (only those that differ from their defaults).
 */
function trainingOptions(
  values: FlagValues,
  context: {
    rounds: number;
    chains: number;
    anneal: { parameter: string; from: number } | undefined;
    target: ParameterValues;
    recipe: RecipeName;
  },
  hint: string,
): { kind: 'linear' | 'born'; training: 'adam' | 'sweeps'; record: Partial<TrainingRun> } {
  const recipeName = context.recipe;
  const recipe = recipeFlags(recipeName);
  const get = (name: string) => values[name] ?? recipe[name];
  const shown = (name: string) => {
    const value = get(name);
    const text = value === true ? `--${name}` : `--${name} ${value}`;
    return values[name] === undefined && recipe[name] !== undefined
      ? `${text} (from --recipe ${recipeName})`
      : text;
  };
  const fail = (message: string): never => usage(message, hint);
  const kind = (get('kind') ?? KIND_FLAG.default) as 'linear' | 'born';
  const training = (get('training') ?? (kind === 'born' ? 'sweeps' : 'adam')) as 'adam' | 'sweeps';
  if (training === 'sweeps' && kind !== 'born') {
    fail(`${shown('training')} needs --kind born (two-site sweeps train a Born MPS)`);
  }
  if (training === 'sweeps' && values.epochs !== undefined) {
    fail('--epochs applies to --training adam only (this run trains by sweeps)');
  }
  if (training !== 'sweeps') {
    for (const name of [
      'restart',
      'sweeps',
      'validation-fraction',
      'learning-rate-decay',
      'cutoff',
    ]) {
      if (get(name) !== undefined) {
        fail(`${shown(name)} applies to --training sweeps only (this run trains by Adam)`);
      }
    }
  }
  const scheme = (get('scheme') ?? SCHEME_FLAG.default) as 'connected' | 'disconnected';
  if (scheme === 'disconnected' && values['noise-time'] !== undefined) {
    fail(`--noise-time applies to --scheme connected only (this run uses ${shown('scheme')})`);
  }
  const validationFraction = get('validation-fraction') as number | undefined;
  const path = (get('path') ?? PATH_FLAG.default) as 'linear' | 'thermodynamic';
  if (path === 'thermodynamic') {
    const { anneal } = context;
    if (!anneal) fail(`${shown('path')}: the model has no parameter beta or c to anneal`);
    const end = context.target[anneal!.parameter];
    if (anneal!.from === end) {
      fail(
        `${shown('path')}: nothing to anneal (${anneal!.parameter} starts at its target ${end}); give --anneal-from X or --path linear`,
      );
    }
    if (context.rounds < 2) {
      fail(`--rounds ${context.rounds} is too few for ${shown('path')} (at least 2)`);
    }
    const span = Math.abs(Number(end) - anneal!.from);
    if (!(span / PILOT_GRID_STEP <= PILOT_MAX_GRID_POINTS)) {
      const start =
        values['anneal-from'] === undefined
          ? `the default start of the annealing path (${anneal!.parameter} = ${anneal!.from})`
          : `invalid value for --anneal-from: ${anneal!.from}`;
      fail(
        `${start}: ${shown('path')} measures ${anneal!.parameter} every ${PILOT_GRID_STEP} from the start to the target ${end}, at most ${PILOT_MAX_GRID_POINTS} points (a start within ${PILOT_GRID_STEP * PILOT_MAX_GRID_POINTS} of the target)`,
      );
    }
  } else if (values.kappa !== undefined) {
    fail('--kappa applies to --path thermodynamic only (this run uses --path linear)');
  }
  const replay = Number(get('replay') ?? REPLAY_FLAG.default);
  const sweeps = Number(get('sweeps') ?? SWEEPS_FLAG.default);
  const localSweeps = Number(get('local-sweeps') ?? LOCAL_SWEEPS_FLAG.default);
  // (their values are checked with the whole record, by checkTrainingRecipe: see checkRun)
  const decay = Number(get('learning-rate-decay') ?? LEARNING_RATE_DECAY_FLAG.default);
  const cutoff = get('cutoff') as number | undefined;
  const record: Partial<TrainingRun> = {
    ...(kind === 'born' ? { kind } : {}),
    ...(training !== (kind === 'born' ? 'sweeps' : 'adam') ? { training } : {}),
    ...(get('restart') === true ? { restart: true as const } : {}),
    ...(replay !== 1 ? { replayRounds: replay } : {}),
    ...(sweeps !== 1 ? { sweepsPerRound: sweeps } : {}),
    ...(localSweeps !== 1 ? { localSweeps } : {}),
    ...(get('overlap-rounds') === true ? { overlapRounds: true as const } : {}),
    ...(scheme === 'disconnected' ? { scheme } : {}),
    ...(validationFraction !== undefined ? { validationFraction } : {}),
    ...(path === 'thermodynamic'
      ? { path: { kind: path, kappa: flagValue(values, KAPPA_FLAG) } }
      : {}),
    ...(decay !== 1 ? { learningRateDecay: decay } : {}),
    ...(cutoff !== undefined ? { cutoff } : {}),
    ...(recipeName === 'physics' ? { initial: 'physics' as const } : {}),
  };
  return { kind, training, record };
}

/** The flag behind each field of the run record (for the refusals of checkTrainingRecipe). */
const RECORD_FLAGS: Readonly<Partial<Record<keyof TrainingRun, string>>> = {
  bondDim: 'max-bond-dim',
  rounds: 'rounds',
  seed: 'seed',
  chains: 'chains',
  steps: 'steps',
  epochs: 'epochs',
  learningRate: 'learning-rate',
  noiseTime: 'noise-time',
  anneal: 'anneal-from',
  kind: 'kind',
  training: 'training',
  restart: 'restart',
  replayRounds: 'replay',
  sweepsPerRound: 'sweeps',
  localSweeps: 'local-sweeps',
  overlapRounds: 'overlap-rounds',
  scheme: 'scheme',
  validationFraction: 'validation-fraction',
  path: 'path',
  learningRateDecay: 'learning-rate-decay',
  cutoff: 'cutoff',
  initial: 'recipe',
};

/**
 * The run record checked once, by the library's `checkTrainingRecipe`: a refusal names the flag
 * that set the field and its value (exit 2), and the record returned is the canonical one.
 */
function checkRun(run: TrainingRun, values: FlagValues, hint: string): TrainingRun {
  try {
    return checkTrainingRecipe(run);
  } catch (error) {
    if (!InvalidArgumentError.isInstance(error) || !error.argument.startsWith('recipe.')) {
      throw error;
    }
    const field = error.argument.slice('recipe.'.length) as keyof TrainingRun;
    const flag = RECORD_FLAGS[field];
    if (flag === undefined) throw error;
    const expected = /must be (.*) \(got /.exec(error.message)?.[1] ?? 'another value';
    const given = values[flag] ?? (typeof error.value === 'object' ? undefined : error.value);
    return usage(
      `invalid value for --${flag}${given === undefined ? '' : `: ${given}`} (expected ${expected})`,
      hint,
    );
  }
}

export const MAX_BOND_DIM_FLAG = {
  name: 'max-bond-dim',
  deprecatedAliases: ['bond-dim'],
  type: 'integer',
  valueName: 'N',
  description: 'largest bond dimension of the MPS (ITensor maxdim)',
  minimum: 1,
  maximum: 512,
  default: 16,
} as const satisfies FlagSpec;

export const EPOCHS_FLAG = {
  name: 'epochs',
  type: 'integer',
  valueName: 'N',
  description: "epochs over each round's samples (--training adam, or --objective nll)",
  minimum: 0,
  maximum: 10000,
  default: 4,
  defaultText: `4; ${NLL_DEFAULTS.epochs} with --objective nll`,
} as const satisfies FlagSpec;

export const NOISE_TIME_FLAG = {
  name: 'noise-time',
  type: 'number',
  valueName: 'T',
  description: 'noise time of the connected proposals used while training',
  exclusiveMinimum: 0,
  default: 0.5,
} as const satisfies FlagSpec;

export const KIND_FLAG = {
  name: 'kind',
  type: 'choice',
  choices: ['linear', 'born'],
  description: 'MPS parametrisation: non-negative (linear) or Born (P = psi^2 / Z)',
  default: 'linear',
} as const satisfies FlagSpec;

export const SWEEPS_FLAG = {
  name: 'sweeps',
  type: 'integer',
  valueName: 'N',
  description: 'two-site sweeps per round (--training sweeps)',
  minimum: 1,
  maximum: 1000,
  default: 1,
} as const satisfies FlagSpec;

export const REPLAY_FLAG = {
  name: 'replay',
  type: 'integer',
  valueName: 'N',
  description: 'train on the samples of the last N rounds',
  minimum: 1,
  maximum: 1000,
  default: 1,
  defaultText: `1; ${NLL_DEFAULTS.replay} with --objective nll`,
} as const satisfies FlagSpec;

export const LOCAL_SWEEPS_FLAG = {
  name: 'local-sweeps',
  type: 'integer',
  valueName: 'N',
  description: 'local Metropolis sweeps after every DDM step while training',
  minimum: 0,
  maximum: 10000,
  default: 1,
  defaultText: `1; ${NLL_DEFAULTS.localSweeps} with --objective nll`,
} as const satisfies FlagSpec;

export const SCHEME_FLAG = {
  name: 'scheme',
  type: 'choice',
  choices: ['connected', 'disconnected'],
  description: 'DDM proposal of the chains while training',
  default: 'connected',
} as const satisfies FlagSpec;

export const LEARNING_RATE_DECAY_FLAG = {
  name: 'learning-rate-decay',
  type: 'number',
  valueName: 'X',
  description:
    'round r trains with the learning rate times X^r, to settle once the path holds at the target (--training sweeps; 0 < X <= 1)',
  exclusiveMinimum: 0,
  default: 1,
} as const satisfies FlagSpec;

export const PATH_FLAG = {
  name: 'path',
  type: 'choice',
  choices: ['linear', 'thermodynamic'],
  description:
    'annealing path: linear, or equal steps of thermodynamic length measured by a local Metropolis pilot before training',
  default: 'linear',
} as const satisfies FlagSpec;

export const KAPPA_FLAG = {
  name: 'kappa',
  type: 'number',
  valueName: 'X',
  description: 'KL divergence between neighbouring rounds of --path thermodynamic',
  exclusiveMinimum: 0,
  default: 0.3,
} as const satisfies FlagSpec;

/**
 * The help text of a default that recipes set ("2 with --recipe physics, 22 with --recipe learn,
 * else 30"), from the recipe tables and the flag's own default, so that neither is written twice.
 */
function recipeSetFlag<S extends DefaultedFlag & { readonly default: number }>(
  spec: S,
  also = '',
): S & { readonly defaultText: string } {
  return { ...spec, defaultText: `${recipeDefaultText(spec.name, spec.default)}${also}` };
}

function recipeDefaultText(flag: string, otherwise: number): string {
  const set = (['physics', 'learn', 'restart'] as const).filter(
    (name) => recipeFlags(name)[flag] !== undefined,
  );
  return [
    ...set.map((name) => `${recipeFlags(name)[flag]} with --recipe ${name}`),
    `else ${otherwise}`,
  ].join(', ');
}

export const ROUNDS_FLAG = recipeSetFlag(
  {
    name: 'rounds',
    type: 'integer',
    valueName: 'N',
    description: 'rounds of sampling and training',
    minimum: 1,
    maximum: 100000,
    default: 30,
  } as const,
  `; ${NLL_DEFAULTS.rounds} with --objective nll`,
);

export const CHAINS_FLAG = recipeSetFlag(
  {
    name: 'chains',
    type: 'integer',
    valueName: 'N',
    description: 'Markov chains per round',
    minimum: 1,
    maximum: 100000,
    default: 64,
  } as const,
  `; ${NLL_DEFAULTS.chains} with --objective nll`,
);

export const STEPS_FLAG = recipeSetFlag(
  {
    name: 'steps',
    type: 'integer',
    valueName: 'N',
    description:
      'recorded Monte Carlo steps per chain and round (also with --objective nll); with --proposal neural and reverse KL, Adam steps',
    minimum: 1,
    maximum: 1000000,
    default: 32,
  } as const,
  `; ${NEURAL_STEPS} reverse-KL steps with --proposal neural, ${NLL_DEFAULTS.steps} with --objective nll`,
);

/** Every flag of `latticediff train`, in the order of the help text. */
export const TRAIN_FLAGS: readonly FlagSpec[] = [
  {
    name: 'out',
    type: 'string',
    valueName: 'FILE',
    description:
      'the trained model (latticediff.mps format, or with --proposal neural latticediff.made or latticediff.pixelcnn, with the model in its metadata)',
    required: true,
  },
  MAX_BOND_DIM_FLAG,
  ROUNDS_FLAG,
  SEED_FLAG,
  CHAINS_FLAG,
  STEPS_FLAG,
  EPOCHS_FLAG,
  {
    name: 'learning-rate',
    type: 'number',
    valueName: 'X',
    description: 'Adam step size, or the step of the two-site sweeps',
    exclusiveMinimum: 0,
    defaultText: '0.03 for adam, 0.05 for sweeps, 0.003 with --proposal neural',
  },
  NOISE_TIME_FLAG,
  KIND_FLAG,
  {
    name: 'training',
    type: 'choice',
    choices: ['adam', 'sweeps'],
    description:
      'how each round trains: Adam on the NLL gradient, or two-site sweeps with SVD truncation (Born only)',
    defaultText: 'adam for linear, sweeps for born',
  },
  {
    name: 'restart',
    type: 'boolean',
    description:
      "refit every round from a fresh MPS instead of the previous round's (--training sweeps); follows a fast-moving target, e.g. across a transition",
  },
  SWEEPS_FLAG,
  REPLAY_FLAG,
  LOCAL_SWEEPS_FLAG,
  {
    name: 'overlap-rounds',
    type: 'boolean',
    description:
      "train each round while the next round's chains run, which then propose with the model one round staler (every round stays exact; other results than without it, the same for any --workers); faster with --workers 2",
  },
  SCHEME_FLAG,
  {
    name: 'validation-fraction',
    type: 'number',
    valueName: 'X',
    description:
      "fraction (< 1) of each round's chains held out; each round keeps the sweep with the lowest held-out NLL (--training sweeps)",
    exclusiveMinimum: 0,
  },
  LEARNING_RATE_DECAY_FLAG,
  {
    name: 'cutoff',
    type: 'number',
    valueName: 'X',
    description:
      'discarded weight of the SVD truncation of the two-site sweeps (--training sweeps; 0 <= X < 1); small values let the bond dimension grow while the step decays',
    minimum: 0,
    defaultText: "the learning loop's",
  },
  PATH_FLAG,
  KAPPA_FLAG,
  {
    name: 'recipe',
    type: 'choice',
    choices: ['physics', 'learn', 'restart', 'anneal'],
    description: `physics: start from the Born MPS built from the model's local factors and refine it (${PHYSICS_RECIPE_TEXT}); learn: a random Born MPS learned along an annealing path with the best recipe measured from the energy alone (${LEARN_RECIPE_TEXT}); restart: ${RESTART_RECIPE_TEXT}; anneal: a random MPS learned along an annealing path (the flags' own defaults). Flags given explicitly override a recipe`,
    defaultText: `physics for models with local factors (ising, potts, fredkin) or a pairwise energy, unless one of ${LEARNING_ONLY_FLAGS.map((f) => `--${f}`).join(', ')} is given (then anneal); learn for other models`,
  },
  {
    name: 'anneal-from',
    type: 'number',
    valueName: 'X',
    description:
      'start of the annealed parameter (beta: 0.2 beta; Fredkin c: min(0.3, c); other models train at the target)',
  },
  WORKERS_FLAG,
  ...NEURAL_FLAGS,
  PLOTS_FLAG,
  JSON_FLAG,
];

/** What `train` runs, from its flags (see {@link resolveTrainRun}). */
export interface ResolvedTrainRun {
  /** The canonical run record (checked by the library's checkTrainingRecipe). */
  run: TrainingRun;
  /** The recipe the flags chose or named. */
  recipe: RecipeName;
  /** The annealed parameter and its start (undefined: trains at the target). */
  anneal: { parameter: string; from: number } | undefined;
  /** True when the physics recipe uses local factors found by probing the model's energy. */
  probed: boolean;
}

/**
 * Flags to run record, in process and without I/O (the model's energy is probed for local
 * factors where the physics recipe needs them): the recipe (named, or the default for the
 * model), the annealing path, the learning flags with the recipe's values filled in, their
 * combinations, and the record checked by `checkTrainingRecipe`. A refusal is a UsageError
 * naming the flag and its value.
 */
export function resolveTrainRun(
  values: FlagValues,
  context: { model: LatticeModel; instance: LatticeModelInstance; hint: string },
): ResolvedTrainRun {
  const { model, instance, hint } = context;
  const target = { ...instance.parameters } as ParameterValues;
  // the default recipe: physics where the model has local factors, unless a flag that only a
  // learning run uses was given (then the flags' own defaults, as before the physics recipe)
  const learningFlag = LEARNING_ONLY_FLAGS.find((name) => values[name] !== undefined);
  // a model without localFactors() gets them by probing its energy (pairwise energies only)
  const wantsPhysics =
    values.recipe === 'physics' || (values.recipe === undefined && learningFlag === undefined);
  const probed =
    wantsPhysics && typeof instance.localFactors !== 'function'
      ? probedFactors(instance)
      : undefined;
  // no flag: physics where the energy allows it, else the best recipe measured from a random
  // start; learning flags without --recipe keep the flags' own defaults (anneal), as before
  const recipe = (values.recipe ??
    (learningFlag !== undefined
      ? 'anneal'
      : typeof probed !== 'string'
        ? 'physics'
        : 'learn')) as RecipeName;
  if (recipe === 'physics' && typeof probed === 'string') {
    usage(
      `--recipe physics: ${probed}`,
      'use --recipe learn (or anneal, restart) to learn it from its energy',
    );
  }
  if (recipe === 'physics' && values['anneal-from'] !== undefined) {
    usage(
      '--anneal-from applies to the learning recipes (anneal, restart): --recipe physics starts at the target',
      hint,
    );
  }
  // the physics recipe trains at the target: no annealing
  const anneal =
    recipe === 'physics'
      ? undefined
      : defaultAnnealing(
          model,
          target,
          values['anneal-from'] === undefined ? undefined : Number(values['anneal-from']),
        );
  if (values['anneal-from'] !== undefined && !anneal) {
    usage(
      `--anneal-from: model ${model.id} declares no annealed parameter (its \`annealing\`), so it trains at the target`,
      hint,
    );
  }
  if (anneal) {
    // every point of the path must be a valid parameter point (checked before any work,
    // --plots included)
    try {
      createInstance(model, { ...target, [anneal.parameter]: anneal.from });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      const given = values['anneal-from'] !== undefined;
      throw new UsageError(
        `${given ? `invalid value for --anneal-from: ${anneal.from}` : `the default start of the annealing path (${anneal.parameter} = ${anneal.from}) is invalid`}: ${error.message}`,
        hint,
      );
    }
  }
  const flagsOfRecipe = recipeFlags(recipe);
  const rounds = Number(values.rounds ?? flagsOfRecipe.rounds ?? ROUNDS_FLAG.default);
  const chains = Number(values.chains ?? flagsOfRecipe.chains ?? CHAINS_FLAG.default);
  const method = trainingOptions(values, { rounds, chains, anneal, target, recipe }, hint);
  const run = checkRun(
    {
      model: model.id,
      parameters: target,
      bondDim: flagValue(values, MAX_BOND_DIM_FLAG),
      rounds,
      seed: flagValue(values, SEED_FLAG),
      chains,
      steps: Number(values.steps ?? flagsOfRecipe.steps ?? STEPS_FLAG.default),
      epochs: flagValue(values, EPOCHS_FLAG),
      learningRate: Number(values['learning-rate'] ?? (method.training === 'sweeps' ? 0.05 : 0.03)),
      noiseTime: flagValue(values, NOISE_TIME_FLAG),
      anneal: anneal ?? null,
      ...method.record,
    },
    values,
    hint,
  );
  return {
    run,
    recipe,
    anneal,
    probed: recipe === 'physics' && probed !== undefined && typeof probed !== 'string',
  };
}

/** Largest number of energy evaluations spent probing a model for its local factors. */
const MAX_PROBES = 2_000_000;

/**
 * The local factors of a model without `localFactors()`, found by probing its energy, or why
 * there are none: the energy has hard constraints or terms of three or more sites, or probing
 * would take more than {@link MAX_PROBES} energy evaluations.
 */
export function probedFactors(instance: LatticeModelInstance): LocalFactors | string {
  const { sites: n, localDimension: d, modelId } = instance;
  const probes = ((n * (n - 1)) / 2) * (d - 1) * (d - 1);
  const none = `model ${modelId} does not expose its energy as local factors (localFactors)`;
  if (probes > MAX_PROBES) {
    return `${none}, and probing its energy for them would take ${probes} energy evaluations (at most ${MAX_PROBES})`;
  }
  try {
    const probe = probeLocalFactors(instance);
    if (!probe.pairwise) {
      return `${none}, and its energy is not a sum of site and pair terms (probing misses it by up to ${probe.maxResidual.toPrecision(3)})`;
    }
    return probe.factors;
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    return `${none}, and its energy has hard constraints (E = +Infinity), which probing cannot find`;
  }
}
