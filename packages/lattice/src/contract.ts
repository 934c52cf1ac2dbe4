/**
 * The lattice model contract, version 1.
 *
 * A model package exports one {@link LatticeModel}: a description of its parameters and a factory
 * `create(parameters)` that returns a {@link LatticeModelInstance}, the model at fixed parameters.
 * Monte Carlo, the CLI and the docs use models only through these two interfaces.
 *
 * Conventions (stated once):
 * - A configuration is a row of N digits x_i in {0..d-1} in the model's 1D site order, stored in
 *   a `Uint8Array` or `Int32Array` ({@link Configuration}).
 * - A batch is B such rows stored back to back (row b occupies `data[b*N .. (b+1)*N)`),
 *   with its row count ({@link ConfigurationBatch}).
 * - The target distribution is pi(x) ∝ exp(-beta E(x)) on the allowed set and 0 elsewhere.
 *   `energy` returns +Infinity for configurations that are not allowed, so exp(-beta E) = 0 there.
 * - Every returned number is float64.
 */
import type {
  ConstraintAutomaton,
  MPS,
  RandomGenerator,
  ConfigurationBatch as TensorNetworkBatch,
} from '@latticediff/tensor-network';

/** The version of this contract. Models declare it; consumers check it. */
export type SpecificationVersion = 'v1';

/** One configuration: N digits in the model's site order. */
export type Configuration = Uint8Array | Int32Array;

/**
 * B configurations stored row after row in one flat array of B * N digits (row b is
 * `data.subarray(b * sites, (b + 1) * sites)`; `data.length` must be at least B * N): the batch
 * type of tensor-network with typed-array digits.
 */
export type ConfigurationBatch = TensorNetworkBatch<Uint8Array | Int32Array>;

/** An integer parameter (sizes). */
export interface IntegerParameterSpec {
  readonly type: 'integer';
  readonly description: string;
  /** Short symbol for formulas and forms, e.g. `N` or `L_x`. */
  readonly symbol?: string;
  readonly default?: number;
  /** Inclusive lower bound. */
  readonly minimum?: number;
  /** Inclusive upper bound. */
  readonly maximum?: number;
  /** The value must be a multiple of this (e.g. 2 for an even number of sites). */
  readonly multipleOf?: number;
}

/** A real parameter (couplings, temperatures). Always finite. */
export interface NumberParameterSpec {
  readonly type: 'number';
  readonly description: string;
  readonly symbol?: string;
  readonly default?: number;
  /** Inclusive lower bound. */
  readonly minimum?: number;
  /** Inclusive upper bound. */
  readonly maximum?: number;
  /** Exclusive lower bound. */
  readonly exclusiveMinimum?: number;
  /** Exclusive upper bound. */
  readonly exclusiveMaximum?: number;
}

/** A choice among named options (boundary conditions, variants). */
export interface ChoiceParameterSpec {
  readonly type: 'choice';
  readonly description: string;
  readonly symbol?: string;
  readonly default?: string;
  readonly choices: readonly string[];
}

/** One entry of a parameter schema. */
export type ParameterSpec = IntegerParameterSpec | NumberParameterSpec | ChoiceParameterSpec;

/**
 * The parameters of a model by name, in the order in which forms and `--help` list them.
 * The CLI makes one flag per entry (`--name value`), the docs one form field.
 */
export type ParameterSchema = Readonly<Record<string, ParameterSpec>>;

/** Parameter values by name: numbers for `integer`/`number` entries, strings for `choice` entries. */
export type ParameterValues = Record<string, number | string>;

/**
 * Where the sites are, so that configurations can be drawn and neighbours are known.
 * Site i of the model's 1D order sits at `coordinates[i*dimension .. (i+1)*dimension)`.
 */
export interface Geometry {
  /** `chain` (1D) or `square` (2D square lattice). */
  readonly kind: 'chain' | 'square';
  /** Extent along each axis: [N] for a chain, [Lx, Ly] for a square lattice. */
  readonly shape: readonly number[];
  /** Periodic boundary per axis. */
  readonly periodic: readonly boolean[];
  /** Name of the 1D site order (`linear` for a chain; `column` or `row` for a square lattice). */
  readonly order: string;
  /** Number of sites N. */
  readonly sites: number;
  /** Spatial dimension (1 or 2). */
  readonly dimension: number;
  /** Integer lattice coordinates of the sites in site order, `sites * dimension` entries. */
  readonly coordinates: Int32Array;
  /**
   * Nearest-neighbour bonds as pairs of site indices, `2 * bondCount` entries. A periodic axis of
   * length 2 contributes two bonds between the same pair (the convention of sum_i s_i s_{i+1 mod L});
   * a periodic axis of length 1 contributes none.
   */
  readonly bonds: Int32Array;
  /** Site index of the given coordinates (wrapped on periodic axes), or -1 if outside. */
  siteIndex(coordinates: readonly number[]): number;
}

/** A named observable. Scalars have `size` 1; vector observables (profiles) have `size` > 1. */
export interface ObservableSpec {
  /** Stable name, used by the CLI and in result files (e.g. `energyPerSite`). */
  readonly name: string;
  readonly description: string;
  /** Number of values per configuration (1 for a scalar). */
  readonly size: number;
}

/**
 * Local moves for baseline Monte Carlo. Moves are numbered 0..count-1 (e.g. Ising: flip site k;
 * Fredkin: swap bond k). Every move is an involution: applying move k twice restores x, and move k
 * is available at x exactly when it is available at the result. So uniform proposals of k with
 * acceptance min(1, exp(-beta * deltaEnergy)) satisfy detailed balance.
 */
export interface LocalMoves {
  /** Number of move slots per configuration. */
  readonly count: number;
  /**
   * Energy change of move `move` on the allowed configuration x, or +Infinity when the move is not
   * available at x (it would leave the allowed set, or the model's dynamics forbids it).
   */
  deltaEnergy(x: Configuration, move: number): number;
  /** Applies move `move` to x in place (only call it for available moves). */
  apply(x: Configuration, move: number): void;
  /**
   * Optional rate of the model's own continuous-time dynamics for this move at x (0 when not
   * available). Satisfies detailed balance: rate(x, k) pi(x) = rate(x', k) pi(x').
   */
  rate?(x: Configuration, move: number): number;
}

/** Result of one {@link LatticeModelInstance.clusterMove}. */
export interface ClusterMoveResult {
  /** Whether x was changed. */
  readonly accepted: boolean;
  /** Number of sites in the proposed cluster. */
  readonly size: number;
  /** E(x after) - E(x before) (0 when not accepted). */
  readonly deltaEnergy: number;
}

/** Exact expectations under pi, where the model can compute them. */
export interface ExactObservables {
  /** ln Z with Z = sum over allowed x of exp(-beta E(x)). */
  readonly logPartitionFunction: number;
  /**
   * Exact means of observables by name (a number for scalars, a Float64Array of `size` entries for
   * vector observables). Only the observables listed here are known exactly.
   */
  readonly means: Readonly<Record<string, number | Float64Array>>;
  /** Further exact quantities that are not means of an observable (e.g. `binderCumulant`). */
  readonly derived?: Readonly<Record<string, number>>;
}

/**
 * The energy of a model as local terms (optional part of the contract, its own version 'v1'):
 *
 *   E(x) = constant + sum_i e_i(x_i) + sum_p e_p(x_{i_p}, x_{j_p})   on the allowed set,
 *
 * and the allowed set is where every constraint automaton accepts x (read along the site order)
 * and every term is finite: a term may be +Infinity to forbid a digit or a pair of digits.
 * From these terms `physicsBornMPS` builds the Born MPS of pi (psi ∝ exp(-beta E / 2)) directly,
 * without the exact MPS. Pairs may have any range and may repeat; their energies add.
 */
export interface LocalFactors {
  /** The version of this part of the contract. */
  readonly specificationVersion: 'v1';
  /** N d site energies: e_i(x) at `i * d + x`. Absent when every site energy is 0. */
  readonly siteEnergies?: Float64Array;
  /**
   * Pair energies: pair p joins sites `sites[2p]` and `sites[2p + 1]` (distinct); its energy for
   * digits (a, b) of those two sites is at `energies[p d^2 + a d + b]`. Absent when there are none.
   */
  readonly pairs?: { readonly sites: Int32Array; readonly energies: Float64Array };
  /**
   * Hard constraints as deterministic automata (0/1 factors); absent when every configuration is
   * allowed. An automaton state may carry what a constraint needs (the Fredkin height).
   */
  readonly constraints?: readonly ConstraintAutomaton[];
  /** The constant term of E (default 0). */
  readonly constant?: number;
}

/**
 * A symmetry of pi (optional part of the contract): a map g with E(g x) = E(x) for every x, the
 * allowed set included, that moves site i to site `sites[i]` and maps its digit s to
 * `digits[s]`: (g x)[sites[i]] = digits[x[i]].
 */
export interface LatticeSymmetry {
  /** A short name, e.g. `translate-y`, `reflect-x`, `spin-flip`. */
  readonly name: string;
  /** The image of every site: a permutation of 0..N-1. */
  readonly sites: Int32Array;
  /** The image of every digit: a permutation of 0..d-1 (absent: digits unchanged). */
  readonly digits?: Int32Array;
  /** The smallest k >= 1 with g^k = identity. */
  readonly order: number;
}

/** A model at fixed parameters. */
export interface LatticeModelInstance<P extends ParameterValues = ParameterValues> {
  readonly specificationVersion: SpecificationVersion;
  /** The model's id (same as {@link LatticeModel.id}). */
  readonly modelId: string;
  /** The validated parameters, defaults filled in. */
  readonly parameters: Readonly<P>;
  /** Number of sites N. */
  readonly sites: number;
  /** Local dimension d (digits are 0..d-1). */
  readonly localDimension: number;
  /**
   * Inverse temperature of the target pi(x) ∝ exp(-beta E(x)). A model with a parameter named
   * `beta` must use it here (the conformance kit checks it); one that puts beta into its energy
   * must name the parameter otherwise.
   */
  readonly beta: number;
  /** Positions of the sites in the 1D order and nearest-neighbour bonds. */
  readonly geometry: Geometry;
  /** E(x) for each configuration of the batch (+Infinity where not allowed). */
  energy(batch: ConfigurationBatch): Float64Array;
  /** 1 where x satisfies the model's hard constraints, else 0. */
  allowed(batch: ConfigurationBatch): Uint8Array;
  /** An allowed configuration to start Markov chains from (a fresh copy on each call). */
  initialConfiguration(): Int32Array;
  /** Local moves for baseline Monte Carlo. */
  readonly localMoves: LocalMoves;
  /** The observables, in display order. */
  readonly observables: readonly ObservableSpec[];
  /**
   * Values of one observable on a batch: `count * size` entries, configuration-major.
   * Throws for unknown names.
   */
  observe(name: string, batch: ConfigurationBatch): Float64Array;
  /**
   * Optional: a non-local move that keeps pi invariant (e.g. a Wolff cluster flip), applied to x
   * in place. Absent when the model has none at these parameters.
   */
  clusterMove?(x: Configuration, random: RandomGenerator): ClusterMoveResult;
  /**
   * Optional: a `linear` MPS over the site order whose contraction is proportional to
   * exp(-beta E(x)) (0 off the allowed set). Throws an InvalidArgumentError naming the parameter
   * when the sizes are too large for memory.
   */
  exactMPS?(): MPS;
  /**
   * Optional: the energy as local terms and the constraints as automata ({@link LocalFactors}),
   * from which a Born MPS proposal of any bond dimension is built without the exact MPS.
   */
  localFactors?(): LocalFactors;
  /**
   * Optional: symmetry generators of pi at these parameters ({@link LatticeSymmetry}), e.g. the
   * lattice translations and reflections and a spin flip. Learners may augment their data with
   * them (a draw from pi mapped by a symmetry is a draw from pi); the conformance kit checks that
   * each one keeps the energy. Absent or empty when the model declares none.
   */
  symmetries?(): readonly LatticeSymmetry[];
  /**
   * Optional: exact log Z and exact observable means. Throws an InvalidArgumentError naming the
   * parameter when the sizes are too large.
   */
  exactObservables?(): ExactObservables;
}

/** A lattice model: its parameter schema and a factory for instances. */
export interface LatticeModel<P extends ParameterValues = ParameterValues> {
  readonly specificationVersion: SpecificationVersion;
  /** Stable id used on the command line and in files (e.g. `ising`, `fredkin`). */
  readonly id: string;
  /** One sentence for listings and `--help`. */
  readonly description: string;
  /** The parameters, their types, ranges, defaults and descriptions. */
  readonly parameterSchema: ParameterSchema;
  /**
   * Optional: the parameter that learning recipes anneal, and where along it sampling is easy
   * (a high temperature, a weak constraint). A recipe trains along a path from
   * `start(target)` to the target's value of `parameter` (a number parameter of the schema);
   * a model without it is trained at the target throughout. Consumers never guess the parameter
   * by its name.
   */
  readonly annealing?: {
    readonly parameter: string & keyof P;
    start(target: Readonly<P>): number;
  };
  /**
   * Validates the parameters (missing ones take their defaults) and returns the model at these
   * parameters. Throws an InvalidArgumentError naming the parameter, the value and the limit.
   */
  create(parameters?: Partial<P> | Readonly<Record<string, unknown>>): LatticeModelInstance<P>;
}
