/**
 * Metropolis-Hastings chains targeting pi(x) ∝ exp(-beta E(x)) (0 off the allowed set) of any
 * model that implements the lattice contract, with proposals on one footing:
 *
 * - `disconnected`: x' is a fresh exact sample of the MPS P_theta (independence MH);
 * - `connected`: noise the current x for time T (y ~ k_T(.|x) per site), then x' ~ P_theta(x_0 | y)
 *   exactly; the proposal kernel is reversible with respect to P_theta, so the acceptance is the
 *   same as for `disconnected` whatever T;
 * - `local`: one sweep of the model's local moves (Metropolis);
 * - `wolff`: one cluster move of the model (e.g. Wolff for Ising).
 *
 * For the DDM schemes the acceptance is min{1, pi(x') P_theta(x) / (pi(x) P_theta(x'))}, computed in
 * float64 in log space from the model's float64 energies and tensor-network's float64
 * log-probabilities. All chains move together: one batched proposal per step.
 */

import type { ConfigurationBatch, LatticeModelInstance } from '@latticediff/lattice';
import { metropolisSweep } from '@latticediff/lattice';
import {
  addNoise,
  type DenoiseResult,
  denoise,
  denoiseInPool,
  type NoiseProcess,
  propagator,
  uniformNoise,
} from '@latticediff/markov-jump';
import {
  createRandom,
  logProbabilities,
  MPS,
  type RandomGenerator,
  type SamplerPool,
  type SeedOrGenerator,
  sample,
  sampleLogProbabilities,
  toRandom,
} from '@latticediff/tensor-network';
import {
  assertKnownOptions,
  CHUNK_SIZE,
  canSampleSteps,
  invalidArgument,
  poolSampleSteps,
  sampleEachStream,
  sampleSteps,
  sampleStreamChunks,
} from '@latticediff/tensor-network/internal';
import { assertSamplerPool } from './sampler-pool-check';

/** A proposal scheme. */
export type ProposalScheme =
  | { kind: 'disconnected' }
  | { kind: 'connected'; noiseTime: number; noise?: NoiseProcess }
  | { kind: 'local' }
  | { kind: 'wolff' };

/**
 * An independence proposal that is not an MPS (e.g. a neural autoregressive network): draws with
 * the float64 log q of the process that drew them, and the same log q evaluated on any
 * configurations. Both must be values of one function q (a normalised distribution over the
 * model's configurations) for Metropolis-Hastings to be exact: the disconnected scheme uses the
 * draws' values for proposals and `logProbabilities` for states that did not come from a draw
 * (chain starts given by the caller, states moved by local sweeps). Disconnected scheme only.
 */
export interface IndependenceProposal {
  /** Number of sites N. */
  readonly sites: number;
  /** Local dimension d. */
  readonly localDimension: number;
  /** `count` draws of q with their log q, from the given integer seed. */
  sample(
    count: number,
    seed: number,
  ):
    | Promise<{ data: Int32Array; logProbabilities: Float64Array }>
    | { data: Int32Array; logProbabilities: Float64Array };
  /** log q of each configuration of the batch (-Infinity where q = 0). */
  logProbabilities(batch: {
    data: Int32Array;
    count: number;
  }): Promise<Float64Array> | Float64Array;
}

function isIndependenceProposal(value: unknown): value is IndependenceProposal {
  return (
    typeof value === 'object' &&
    value !== null &&
    !MPS.isMPS(value) &&
    typeof (value as IndependenceProposal).sample === 'function' &&
    typeof (value as IndependenceProposal).logProbabilities === 'function'
  );
}

/** Options of {@link runChains}. */
export interface RunChainsOptions {
  /** The target: a model instance (pi ∝ exp(-beta E), constraints). */
  model: LatticeModelInstance;
  /** The proposal scheme. */
  scheme: ProposalScheme;
  /**
   * The learned distribution P_theta (required for `disconnected` and `connected`): an MPS, or
   * for `disconnected` any {@link IndependenceProposal}.
   */
  proposal?: MPS | IndependenceProposal;
  /** Number of parallel chains (default 16). */
  chains?: number;
  /** Recorded steps per chain (default 1000). One step = one proposal (DDM), one sweep (local) or one cluster move (wolff). */
  steps: number;
  /** Steps discarded before recording (default 0). */
  burnIn?: number;
  /** Seed or generator. */
  seed: SeedOrGenerator;
  /**
   * Starting states (`chains` rows). Default: for the DDM schemes, a draw of the proposal for
   * every chain (from its own seeded stream), where the proposal has its mass, or the model's
   * initial configuration where that draw is not allowed; for local and Wolff chains, the
   * model's initial configuration. (A chain started where the proposal puts almost no mass, e.g.
   * the flat Fredkin path under a tall-phase model, would reject every proposal.)
   */
  initial?: ConfigurationBatch;
  /** Scalar observables to record (default: every observable of size 1). */
  observables?: readonly string[];
  /** Keep every recorded configuration (chains x steps x N digits; default false). */
  keepConfigurations?: boolean;
  /** A worker pool for the DDM proposals (same results as without, faster). */
  pool?: SamplerPool;
  /**
   * Local Metropolis sweeps after every DDM step (default 0). Each kernel leaves pi invariant, so
   * the mixture does too; it lets chains move while a young model's proposals are still poor
   * (used by the learning loop). Acceptance counts only the DDM proposals.
   */
  localSweeps?: number;
}

/** Result of {@link runChains}. */
export interface RunChainsResult {
  scheme: ProposalScheme['kind'];
  chains: number;
  steps: number;
  /** Per observable: recorded values, row-major [chain][step]. */
  series: Record<string, Float64Array>;
  /** Accepted proposals per chain (local: accepted single moves; wolff: accepted clusters). */
  accepted: Float64Array;
  /** Proposals per chain. */
  proposed: Float64Array;
  /** Overall acceptance rate. */
  acceptanceRate: number;
  /** Final states (`chains` rows). */
  final: { data: Int32Array; count: number };
  /** Recorded configurations [chain][step][site] when `keepConfigurations` was set. */
  configurations?: Int32Array;
  /** Wall-clock seconds of the run (burn-in included). */
  seconds: number;
}

/**
 * log of the DDM acceptance probability min{1, pi(x') P_theta(x) / (pi(x) P_theta(x'))} with
 * pi ∝ exp(-beta E): min(0, -beta (E' - E) + log P_theta(x) - log P_theta(x')), and -Infinity
 * when x' is not allowed (E' = +Infinity). Float64, log space.
 */
export function logAcceptance(
  beta: number,
  energy: number,
  proposedEnergy: number,
  logProposal: number,
  proposedLogProposal: number,
): number {
  if (!Number.isFinite(proposedEnergy)) return Number.NEGATIVE_INFINITY;
  const value = -beta * (proposedEnergy - energy) + logProposal - proposedLogProposal;
  return Math.min(value, 0);
}

/** Largest chains * steps of one {@link runChains} call (values recorded per observable, 2 GiB). */
export const MAX_SERIES_ENTRIES = 2 ** 28;
/** Largest number of digits of the chain states (chains * sites, or with keepConfigurations chains * steps * sites). */
export const MAX_STATE_ENTRIES = 2 ** 30;
/** Streams START_STREAM + c draw the default starting state of DDM chain c (far above 2 + c). */
const START_STREAM = 2 ** 40;

/**
 * Runs chains in place of {@link runChains}, with its options and its result for them (e.g. on
 * worker threads: `chainsOnWorkers` of `@latticediff/monte-carlo/node`). `learnByMonteCarlo`
 * takes one as `chainRunner`.
 */
export type ChainRunner = (options: RunChainsOptions) => Promise<RunChainsResult>;

/**
 * The seed of a run's root stream: 53 bits of the seed's generator (a number seeds a fresh one;
 * a generator is advanced). Internal.
 */
export function chainsRootSeed(fn: string, seed: SeedOrGenerator): number {
  const rng = toRandom(fn, seed);
  return (rng.uint32() >>> 0) * 2097152 + (rng.uint32() >>> 11);
}

/** Fewest proposal rows a group of disconnected chains draws in one pass (see runChainsFrom). */
const GROUP_DRAW_ROWS = 256;

/** Runs `chains` Metropolis-Hastings chains for `burnIn + steps` steps. */
export function runChains(options: RunChainsOptions): Promise<RunChainsResult> {
  return runChainsFrom(options, 0, false);
}

/** What a validating call of {@link runChainsFrom} returns: no steps. */
function validated(
  kind: RunChainsResult['scheme'],
  chains: number,
  state: Int32Array,
): RunChainsResult {
  return {
    scheme: kind,
    chains,
    steps: 0,
    series: {},
    accepted: new Float64Array(chains),
    proposed: new Float64Array(chains),
    acceptanceRate: 0,
    final: { data: state, count: chains },
    seconds: 0,
  };
}

/**
 * {@link runChains} for the chains `firstChain`, `firstChain + 1`, ... of a larger run: chain c
 * here draws its local and cluster moves from the stream of chain `firstChain + c`, so a run
 * split into contiguous groups gives the same chains as one call. DDM proposals are batched over
 * the chains: with `totalChains` (the disconnected scheme and an MPS proposal only) this call is
 * the group [firstChain, firstChain + chains) of a run of `totalChains` chains, and it draws the
 * proposals of the sampler's chunks that overlap the group (chunk k from stream k of the step's
 * seed, with the row count it has in the whole batch) and keeps its own rows; its acceptance
 * uniforms are its part of the whole run's. So the groups together give the chains of one call.
 * `rootSeed` replaces the root that `options.seed` would give ({@link chainsRootSeed}; the seed is
 * then not read), so that the threads of one run share a root drawn once from a generator.
 * With `validateOnly` it checks the options and given starting states and returns before any
 * step (a DDM run's drawn starts are left to the run). Errors name `fn`, the function the user
 * called. Internal: the worker runner of the `./node` entry uses it.
 */
export async function runChainsFrom(
  options: RunChainsOptions,
  firstChain: number,
  validateOnly: boolean,
  totalChains?: number,
  rootSeed?: number,
  fn = 'runChains',
): Promise<RunChainsResult> {
  if (typeof options !== 'object' || options === null)
    invalidArgument(fn, 'options', options, 'an options object');
  assertKnownOptions(fn, options, [
    'model',
    'scheme',
    'proposal',
    'chains',
    'steps',
    'burnIn',
    'seed',
    'initial',
    'observables',
    'keepConfigurations',
    'pool',
    'localSweeps',
  ]);
  const { model, scheme } = options;
  if (!model || typeof model.energy !== 'function')
    invalidArgument(fn, 'model', model, 'a lattice model instance');
  const chains = options.chains ?? 16;
  const steps = options.steps;
  const burnIn = options.burnIn ?? 0;
  const localSweeps = options.localSweeps ?? 0;
  if (!Number.isInteger(localSweeps) || localSweeps < 0)
    invalidArgument(fn, 'localSweeps', localSweeps, 'a non-negative integer');
  if (!Number.isInteger(chains) || chains < 1)
    invalidArgument(fn, 'chains', chains, 'a positive integer');
  if (!Number.isInteger(steps) || steps < 1)
    invalidArgument(fn, 'steps', steps, 'a positive integer');
  if (!Number.isInteger(burnIn) || burnIn < 0)
    invalidArgument(fn, 'burnIn', burnIn, 'a non-negative integer');
  const kind = scheme?.kind;
  if (kind !== 'disconnected' && kind !== 'connected' && kind !== 'local' && kind !== 'wolff') {
    invalidArgument(
      fn,
      'scheme',
      scheme,
      '{ kind: "disconnected" | "connected" | "local" | "wolff" }',
    );
  }
  // the scheme's keys (a misspelt `nosie` of a connected scheme ran it with uniform noise)
  assertKnownOptions(
    fn,
    scheme,
    kind === 'connected' ? ['kind', 'noiseTime', 'noise'] : ['kind'],
    'scheme',
  );
  const n = model.sites;
  const d = model.localDimension;
  assertSamplerPool(fn, options.pool);
  if (chains > MAX_SERIES_ENTRIES) {
    // (the message below named steps, "at most 0")
    invalidArgument(
      fn,
      'chains',
      chains,
      `at most ${MAX_SERIES_ENTRIES} (chains * steps <= ${MAX_SERIES_ENTRIES} recorded values per observable)`,
    );
  }
  if (chains * steps > MAX_SERIES_ENTRIES) {
    invalidArgument(
      fn,
      'steps',
      steps,
      `at most ${Math.floor(MAX_SERIES_ENTRIES / chains)} for ${chains} chains (chains * steps <= ${MAX_SERIES_ENTRIES} recorded values per observable; run longer chains in segments with \`initial\`)`,
    );
  }
  if (chains * n > MAX_STATE_ENTRIES) {
    invalidArgument(
      fn,
      'chains',
      chains,
      `at most ${Math.floor(MAX_STATE_ENTRIES / n)} for ${n} sites (chains * sites <= ${MAX_STATE_ENTRIES})`,
    );
  }
  if (options.keepConfigurations !== undefined && typeof options.keepConfigurations !== 'boolean') {
    invalidArgument(fn, 'keepConfigurations', options.keepConfigurations, 'true, false or absent');
  }
  if (options.keepConfigurations && chains * steps * n > MAX_STATE_ENTRIES) {
    invalidArgument(
      fn,
      'keepConfigurations',
      true,
      `false for ${chains} chains x ${steps} steps of ${n} sites (more than ${MAX_STATE_ENTRIES} digits)`,
    );
  }
  const ddm = kind === 'disconnected' || kind === 'connected';
  const independence = isIndependenceProposal(options.proposal) ? options.proposal : undefined;
  const mps = independence === undefined ? (options.proposal as MPS | undefined) : undefined;

  if (ddm && independence !== undefined) {
    if (kind !== 'disconnected') {
      invalidArgument(
        fn,
        'proposal',
        'an independence proposal (not an MPS)',
        'an MPS for the connected scheme (denoising needs one); other proposals serve the disconnected scheme',
      );
    }
    if (independence.sites !== n || independence.localDimension !== d) {
      invalidArgument(
        fn,
        'proposal',
        `a proposal of ${independence.sites} sites of dimension ${independence.localDimension}`,
        `${n} sites of dimension ${d} (the model's)`,
      );
    }
  } else if (ddm) {
    if (!mps) invalidArgument(fn, 'proposal', mps, `an MPS (required by the ${kind} scheme)`);
    if (mps.length !== n || mps.physicalDims.some((x) => x !== d)) {
      invalidArgument(
        fn,
        'proposal',
        `an MPS with ${mps.length} sites`,
        `an MPS with ${n} sites of dimension ${d} (the model's)`,
      );
    }
  }
  let noise: NoiseProcess | undefined;
  if (kind === 'connected') {
    const t = (scheme as { noiseTime: number }).noiseTime;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)
      invalidArgument(fn, 'scheme.noiseTime', t, 'a finite number > 0');
    noise = (scheme as { noise?: NoiseProcess }).noise ?? uniformNoise({ physicalDim: d });
    if (noise.dataDim !== d)
      invalidArgument(
        fn,
        'scheme.noise',
        `dataDim ${noise.dataDim}`,
        `noise over the model's ${d} states`,
      );
  }
  // log k_T(y | x) of the connected scheme, for log P_theta(x') by Bayes (connectedLogProposal)
  const logKernel =
    kind === 'connected'
      ? propagator(noise!, (scheme as { noiseTime: number }).noiseTime).map(Math.log)
      : undefined;
  if (kind === 'wolff' && typeof model.clusterMove !== 'function') {
    invalidArgument(
      fn,
      'scheme',
      'wolff',
      `a scheme the model supports (${model.modelId} has no cluster move at these parameters)`,
    );
  }
  const names =
    options.observables ?? model.observables.filter((o) => o.size === 1).map((o) => o.name);
  for (const name of names) {
    const spec = model.observables.find((o) => o.name === name);
    if (spec?.size !== 1)
      invalidArgument(
        fn,
        'observables',
        name,
        `a scalar observable of ${model.modelId} (${model.observables
          .filter((o) => o.size === 1)
          .map((o) => o.name)
          .join(', ')})`,
      );
  }
  // independent streams: proposals, acceptance uniforms, and per-chain streams for local moves
  const root = createRandom(rootSeed ?? chainsRootSeed(fn, options.seed));
  const proposalStream = root.split(0);
  const acceptStream = root.split(1);
  const chainStreams: RandomGenerator[] = Array.from({ length: chains }, (_, c) =>
    root.split(2 + firstChain + c),
  );

  // initial states
  const state = new Int32Array(chains * n);
  if (options.initial) {
    const init = options.initial;
    if (
      typeof init !== 'object' ||
      init.data == null ||
      init.count !== chains ||
      init.data.length < chains * n
    ) {
      invalidArgument(
        fn,
        'initial',
        `${init?.count} configurations`,
        `${chains} configurations of ${n} sites (one per chain)`,
      );
    }
    for (let k = 0; k < chains * n; k++) {
      const v = init.data[k]!;
      // (a digit 0.5 of a Float64Array was truncated to 0 by the copy, and one out of range was
      // reported by the model's energy, not as `initial`)
      if (!Number.isInteger(v) || v < 0 || v >= d) {
        invalidArgument(
          fn,
          `initial.data[${k}]`,
          v,
          `a digit in 0..${d - 1} (site ${k % n} of configuration ${Math.floor(k / n)})`,
        );
      }
      state[k] = v;
    }
  } else {
    const x0 = model.initialConfiguration();
    for (let c = 0; c < chains; c++) state.set(x0, c * n);
    // a DDM run starts from draws, which the run itself draws and checks: validating, the
    // calling thread of runChainsOnWorkers would otherwise draw every chain's start (one row
    // per chain) before the threads draw them again
    if (ddm && validateOnly) return validated(kind, chains, state);
    if (ddm) {
      // chain c starts from a draw of the proposal on its own stream (the same for any split of
      // the chains), where the draw is allowed
      const streams = Array.from({ length: chains }, (_, c) =>
        root.split(START_STREAM + firstChain + c),
      );
      let draws: Int32Array;
      if (independence) {
        draws = new Int32Array(chains * n);
        for (let c = 0; c < chains; c++) {
          const stream = streams[c]!;
          const draw = await independence.sample(
            1,
            stream.uint32() * 2097152 + (stream.uint32() >>> 11),
          );
          draws.set(draw.data, c * n);
        }
      } else {
        // every chain's draw of its own stream, in one pass (the same rows as a call per chain)
        draws = sampleEachStream(mps!, streams).data;
      }
      const drawEnergy = model.energy({ data: draws, count: chains });
      for (let c = 0; c < chains; c++) {
        if (Number.isFinite(drawEnergy[c]!)) state.set(draws.subarray(c * n, (c + 1) * n), c * n);
      }
    }
  }
  const energy = model.energy({ data: state, count: chains });
  for (let c = 0; c < chains; c++) {
    if (!Number.isFinite(energy[c]!))
      invalidArgument(
        fn,
        'initial',
        `configuration ${firstChain + c}`,
        'allowed configurations (finite energy)',
      );
  }
  // log q of the chains' states: for fresh proposals, the sampler's own log q (the draws' log
  // q come from the same function, bit for bit); for connected ones, log P_theta (the draws'
  // values come from the denoiser by Bayes, equal to it to rounding)
  const logProposal = async (data: Int32Array): Promise<Float64Array> => {
    const batch = { data, count: chains };
    if (independence) {
      const values = await independence.logProbabilities(batch);
      if (!(values instanceof Float64Array) || values.length !== chains) {
        invalidArgument(
          fn,
          'proposal.logProbabilities',
          values,
          `a Float64Array of ${chains} values`,
        );
      }
      for (let c = 0; c < chains; c++) {
        // (-Infinity is q = 0; NaN or +Infinity made every acceptance NaN, i.e. a silent rejection)
        const v = values[c]!;
        if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) {
          invalidArgument(
            fn,
            'proposal.logProbabilities',
            `value ${v} for chain ${c}`,
            'finite log q, or -Infinity where q = 0',
          );
        }
      }
      return values;
    }
    return kind === 'disconnected'
      ? sampleLogProbabilities(mps!, batch)
      : logProbabilities(mps!, batch);
  };
  // the same values on the workers of the pool (bit for bit: each row's value depends on that
  // row alone), while this thread goes on
  const logProposalInPool = (data: Int32Array): Promise<Float64Array> => {
    const pool = options.pool!;
    const batch = { data, count: chains };
    const pending =
      kind === 'disconnected'
        ? pool.sampleLogProbabilities(mps!, batch)
        : pool.logProbabilities(mps!, batch);
    // one that is never awaited (the loop threw) must not crash the process
    pending.catch(() => {});
    return pending;
  };
  const logQ = ddm ? await logProposal(state) : new Float64Array(chains);
  if (ddm) {
    for (let c = 0; c < chains; c++) {
      if (logQ[c] === Number.NEGATIVE_INFINITY) {
        invalidArgument(
          fn,
          'proposal',
          `P_theta(x) = 0 at chain ${firstChain + c}'s start`,
          'an MPS that is positive on the starting states',
        );
      }
    }
  }
  if (validateOnly) {
    return validated(kind, chains, state);
  }

  const series: Record<string, Float64Array> = {};
  for (const name of names) series[name] = new Float64Array(chains * steps);
  const configurations = options.keepConfigurations
    ? new Int32Array(chains * steps * n)
    : undefined;
  const accepted = new Float64Array(chains);
  const proposed = new Float64Array(chains);
  // acceptance uniforms: one per chain of the whole run (a group uses its part)
  const uniforms = new Float64Array(totalChains ?? chains);
  const u =
    totalChains === undefined ? uniforms : uniforms.subarray(firstChain, firstChain + chains);
  const start = performance.now();

  const nextSeed = () => proposalStream.uint32() * 2097152 + (proposalStream.uint32() >>> 11);
  // A group of a larger run (totalChains) draws the sampler's chunks that overlap it, each with
  // its row count in the whole batch, and keeps its rows. When those chunks are all full it
  // draws the chunks of several steps in one pass (at least GROUP_DRAW_ROWS rows: a pass over
  // 128 rows costs about 1.2x per row what one over 256 does), each step's chunks from that
  // step's seed: the same draws as step by step.
  const groupFirstChunk = Math.floor(firstChain / CHUNK_SIZE);
  const groupStart = groupFirstChunk * CHUNK_SIZE;
  const groupEnd =
    totalChains === undefined
      ? 0
      : Math.min(Math.ceil((firstChain + chains) / CHUNK_SIZE) * CHUNK_SIZE, totalChains);
  const groupRows = groupEnd - groupStart;
  const groupChunks = Math.ceil(groupRows / CHUNK_SIZE);
  const stepsPerPass =
    groupRows % CHUNK_SIZE === 0 ? Math.max(1, Math.ceil(GROUP_DRAW_ROWS / groupRows)) : 1;
  const groupDrawn: { data: Int32Array; logProbabilities: Float64Array }[] = [];
  let groupStepsDrawn = 0;
  const drawGroup = (): { data: Int32Array; logProbabilities: Float64Array } => {
    if (groupDrawn.length === 0) {
      const passSteps = Math.max(1, Math.min(stepsPerPass, burnIn + steps - groupStepsDrawn));
      const streams: RandomGenerator[] = [];
      for (let k = 0; k < passSteps; k++) {
        const root = createRandom(nextSeed());
        for (let c = 0; c < groupChunks; c++) streams.push(root.split(groupFirstChunk + c));
      }
      const drawn = sampleStreamChunks(mps!, passSteps * groupRows, streams);
      const from = firstChain - groupStart;
      for (let k = 0; k < passSteps; k++) {
        const first = k * groupRows + from;
        groupDrawn.push({
          data: drawn.data.subarray(first * n, (first + chains) * n),
          logProbabilities: drawn.logProbabilities.subarray(first, first + chains),
        });
      }
      groupStepsDrawn += passSteps;
    }
    return groupDrawn.shift()!;
  };
  // Fewer chains than a chunk (one chunk per step, such as the 32 chains of `latticediff mc`):
  // the proposals of several steps in one draw (at least GROUP_DRAW_ROWS rows), each step's
  // rows from its own seed, so the same draws as step by step. A draw per step copied the
  // proposal's tensors into the module every step, and on a pool cost a message per step. On a
  // pool, when a block's first step is taken, blocks are requested up to one ahead per worker,
  // so that the workers draw while this thread runs the current one. With local sweeps the
  // swept states' log q is then evaluated on this thread (on the workers it would queue behind
  // the blocks): 32 chains at bond 16 with one sweep per step took 9.6 us per chain step so,
  // against 15.2 us drawing and evaluating step by step on the pool and 13.6 on one thread.
  const poolSteps =
    options.pool !== undefined && canSampleSteps(options.pool)
      ? (seeds: number[]) => poolSampleSteps(options.pool!, mps!, seeds, chains)!
      : undefined;
  const blockSteps =
    totalChains === undefined &&
    independence === undefined &&
    kind === 'disconnected' &&
    chains <= CHUNK_SIZE &&
    (options.pool === undefined || poolSteps !== undefined)
      ? Math.max(1, Math.ceil(GROUP_DRAW_ROWS / chains))
      : 0;
  type Drawn = { data: Int32Array; logProbabilities: Float64Array };
  const blocks: { drawn: Drawn | Promise<Drawn>; size: number; taken: number }[] = [];
  let stepsSeeded = 0;
  const requestBlock = () => {
    const size = Math.min(blockSteps, burnIn + steps - stepsSeeded);
    const seeds = Array.from({ length: size }, () => nextSeed());
    stepsSeeded += size;
    const pending = poolSteps?.(seeds);
    // a block that is never awaited (the loop threw) must not crash the process
    pending?.catch(() => {});
    blocks.push({ drawn: pending ?? sampleSteps(mps!, seeds, chains), size, taken: 0 });
  };
  const drawStep = (): Drawn | Promise<Drawn> => {
    if (blocks.length > 0 && blocks[0]!.taken === blocks[0]!.size) blocks.shift();
    if (blocks.length === 0) requestBlock();
    const block = blocks[0]!;
    const j = block.taken++;
    // a block ahead per worker, so that every worker draws while this thread runs this block
    if (j === 0 && poolSteps !== undefined) {
      while (blocks.length <= options.pool!.size && stepsSeeded < burnIn + steps) requestBlock();
    }
    const rows = (r: Drawn): Drawn => ({
      data: r.data.subarray(j * chains * n, (j + 1) * chains * n),
      logProbabilities: r.logProbabilities.subarray(j * chains, (j + 1) * chains),
    });
    if (!(block.drawn instanceof Promise)) return rows(block.drawn);
    const step = block.drawn.then(rows);
    step.catch(() => {});
    return step;
  };
  const drawFresh = ():
    | { data: Int32Array; logProbabilities: Float64Array }
    | Promise<{ data: Int32Array; logProbabilities: Float64Array }> => {
    // a group takes its steps' seeds itself (several at once when it draws ahead)
    if (totalChains !== undefined) return drawGroup();
    if (blockSteps > 0) return drawStep();
    const seed = nextSeed();
    if (independence) return checkedDraws(independence.sample(chains, seed));
    if (!options.pool) return sample(mps!, { count: chains, seed });
    const pending = options.pool.sample(mps!, { count: chains, seed });
    // a prefetched batch that is never awaited (the loop threw) must not crash the process
    pending.catch(() => {});
    return pending;
  };
  const checkedDraws = async (
    pending: ReturnType<IndependenceProposal['sample']>,
  ): Promise<{ data: Int32Array; logProbabilities: Float64Array }> => {
    const drawn = await pending;
    if (
      !(drawn?.data instanceof Int32Array) ||
      drawn.data.length !== chains * n ||
      !(drawn.logProbabilities instanceof Float64Array) ||
      drawn.logProbabilities.length !== chains
    ) {
      invalidArgument(
        fn,
        'proposal.sample',
        drawn,
        `{ data: Int32Array of ${chains * n} digits, logProbabilities: Float64Array of ${chains} }`,
      );
    }
    for (let c = 0; c < chains; c++) {
      // a draw has q > 0: its log q must be finite (NaN made every acceptance NaN, a silent
      // rejection)
      const v = drawn.logProbabilities[c]!;
      if (!Number.isFinite(v)) {
        invalidArgument(
          fn,
          'proposal.sample',
          `log q = ${v} for draw ${c}`,
          'draws with finite log q',
        );
      }
    }
    return drawn;
  };
  // The pool evaluates the states after local sweeps where their evaluation outweighs the
  // sweeps; where the sweeps outweigh it (as they outweigh a draw, see sweepsOutweighDraws),
  // this thread evaluates them while the workers draw: 8x8 Ising, 256 chains, one sweep per step,
  // pool of 2: 8.5 -> 7.4 us per chain step at bond 16 (one thread 9.4), 14.2 against 14.7 at
  // bond 32. (A pool made before pools evaluated, or another implementation of the interface,
  // draws only; blocks of draws ahead leave the evaluations to this thread, see above.)
  const poolEvaluates =
    options.pool !== undefined &&
    independence === undefined &&
    blockSteps === 0 &&
    !(localSweeps > 0 && mps !== undefined && sweepsOutweighDraws(mps, localSweeps)) &&
    typeof options.pool.sampleLogProbabilities === 'function' &&
    typeof options.pool.logProbabilities === 'function';
  // Batches ahead when the workers only draw, so that they never wait for the main thread to
  // ask for the next one: for the pool's draws of an MPS up to 8 (see drawsAhead); 8x8 Ising, 256
  // chains, bond 16, pool of 2, three alternating processes: about 2.8 us per chain step two
  // ahead, 2.7 four ahead, 2.6 eight ahead. Two for blocks of steps (which request their own
  // blocks ahead) and for independence proposals. One when the workers also evaluate the states
  // after local sweeps, which would otherwise queue behind the next batches and hold up the
  // acceptance.
  const prefetchDepth = !options.pool
    ? 0
    : poolEvaluates && localSweeps > 0
      ? 1
      : independence === undefined && blockSteps === 0
        ? drawsAhead(chains, n)
        : 2;

  return runSteps({
    kind,
    model,
    chains,
    n,
    steps,
    burnIn,
    localSweeps,
    state,
    energy,
    logQ,
    accepted,
    proposed,
    uniforms,
    u,
    acceptStream,
    chainStreams,
    names,
    series,
    configurations,
    start,
    prefetchDepth,
    poolEvaluates,
    drawFresh,
    settleDraws: async () => {
      for (const block of blocks) await Promise.resolve(block.drawn).catch(() => {});
    },
    drawConnected:
      kind === 'connected'
        ? async () => {
            const seed = nextSeed();
            const t = (scheme as { noiseTime: number }).noiseTime;
            const noisy = addNoise(
              noise!,
              { data: state, count: chains },
              { time: t, seed: createRandom(seed).split(0) },
            );
            const clean = await denoiseBatch(
              mps!,
              noise!,
              noisy,
              t,
              createRandom(seed).split(1),
              options.pool,
            );
            return {
              data: clean.data,
              logProbabilities: connectedLogProposal(
                logKernel!,
                noisy.data,
                clean.data,
                n,
                clean.logProbabilities,
                clean.noisyLogProbabilities,
              ),
            };
          }
        : undefined,
    logProposal,
    logProposalInPool,
  });
}

/** A batch of proposals with the float64 log q of each. */
interface Proposals {
  data: Int32Array;
  logProbabilities: Float64Array;
}

/** What {@link runSteps} needs of a checked and started run. */
interface StepsContext {
  kind: RunChainsResult['scheme'];
  model: LatticeModelInstance;
  chains: number;
  n: number;
  steps: number;
  burnIn: number;
  localSweeps: number;
  /** The chains' states (changed in place). */
  state: Int32Array;
  energy: Float64Array;
  logQ: Float64Array;
  accepted: Float64Array;
  proposed: Float64Array;
  /** Acceptance uniforms of the whole run, refilled every step, and this group's part of them. */
  uniforms: Float64Array;
  u: Float64Array;
  acceptStream: RandomGenerator;
  chainStreams: RandomGenerator[];
  names: readonly string[];
  series: Record<string, Float64Array>;
  configurations: Int32Array | undefined;
  start: number;
  prefetchDepth: number;
  poolEvaluates: boolean;
  drawFresh: () => Proposals | Promise<Proposals>;
  /** Waits for the draws requested ahead of `drawFresh`'s calls (blocks of steps) to settle. */
  settleDraws: () => Promise<void>;
  drawConnected: (() => Promise<Proposals>) | undefined;
  logProposal: (data: Int32Array) => Promise<Float64Array>;
  logProposalInPool: (data: Int32Array) => Promise<Float64Array>;
}

/**
 * Whether a step's local sweeps cost enough against its draw (or its evaluation, the same work)
 * for threads that each draw a shared chunk to beat the pool, and for runChains with a pool to
 * evaluate the swept states itself: localSweeps x sites >= sum_i l_i d_i r_i / 1500. Measured on the 8x8
 * Ising model with 64 disconnected chains (threads against runChains with a pool of 2, the
 * faster of 3 runs): at bond 16 threads were 0.82x without sweeps and 1.26-1.55x with 1-20, at
 * bond 32 0.61x without, 0.96x with 1 and 1.07x with 2; the bound puts the change at 0.3 sweeps
 * per step at bond 16 and 1.2 at bond 32 (sum of l d r 30,000 and 113,000 for these proposals).
 */
export function sweepsOutweighDraws(mps: MPS, localSweeps: number): boolean {
  // (sum of l d r over the sites: the MPS's size)
  return localSweeps * mps.length * 1500 >= mps.parameterCount;
}

/**
 * Batches of fresh draws a pool is asked for ahead of the chains when its workers only draw: up
 * to 8, as long as those and the batch in use hold at most 8 MiB (digits and log q), and at
 * least 2 whatever their size (as before this bound). Internal (exported for tests).
 */
export function drawsAhead(chains: number, sites: number): number {
  const batchBytes = chains * (4 * sites + 8);
  return Math.min(8, Math.max(2, Math.floor(2 ** 23 / batchBytes) - 1));
}

/**
 * The steps of a run that {@link runChainsFrom} has checked and started. A function of its own,
 * and its per-chain loops functions of their own, so that what the engine optimizes while the
 * chains run is small: a worker thread, whose optimizing compiler shares the cores with the
 * other threads' chains, reaches fast code sooner.
 */
async function runSteps(ctx: StepsContext): Promise<RunChainsResult> {
  const { kind, model, chains, n, steps, burnIn, localSweeps, state, series, configurations } = ctx;
  const ddm = kind === 'disconnected' || kind === 'connected';
  let { energy, logQ } = ctx;
  /** Batches of fresh draws already requested from the pool, in seed order. */
  const prefetched: (Proposals | Promise<Proposals>)[] = [];
  // log q of the states after local sweeps, evaluated by the pool's workers while this thread
  // computes their energies and records the observables; awaited before the next acceptance
  let pendingLogQ: Promise<Float64Array> | null = null;
  try {
    for (let step = 0; step < burnIn + steps; step++) {
      if (ddm) {
        let drawn: Proposals;
        if (kind === 'disconnected') {
          // fresh proposals do not depend on the chains' states: with a pool, the next steps'
          // batches are drawn by the workers while this thread evaluates energies and
          // observables (the same seeds in the same order, so the same results as without a pool)
          if (prefetched.length === 0) prefetched.push(ctx.drawFresh());
          while (
            prefetched.length <= ctx.prefetchDepth &&
            step + prefetched.length < burnIn + steps
          )
            prefetched.push(ctx.drawFresh());
          // (the sampler's log q(x'), the sum of its log conditionals: no second pass)
          drawn = await prefetched.shift()!;
        } else {
          drawn = await ctx.drawConnected!();
        }
        const eNew = model.energy({ data: drawn.data, count: chains });
        if (pendingLogQ !== null) {
          logQ = await pendingLogQ;
          pendingLogQ = null;
        }
        ctx.acceptStream.fill(ctx.uniforms);
        acceptProposals(ctx, energy, logQ, drawn, eNew);
        if (localSweeps > 0) {
          sweepChains(model, state, n, chains, localSweeps, ctx.chainStreams);
          if (ctx.poolEvaluates) {
            pendingLogQ = ctx.logProposalInPool(state);
            energy = model.energy({ data: state, count: chains });
          } else {
            energy = model.energy({ data: state, count: chains });
            logQ = await ctx.logProposal(state);
          }
        }
      } else if (kind === 'local') {
        localStep(ctx);
      } else {
        clusterStep(ctx);
      }
      if (step >= burnIn) record(ctx, step - burnIn);
    }
    // the last states' log q is not needed, but no work of this call outlives it
    if (pendingLogQ !== null) await pendingLogQ;
  } catch (error) {
    // a step failed while the workers drew the next batches: let them finish (their outcome
    // is not needed) before failing, so that no work of this call outlives it and the caller
    // may close or reuse the pool at once
    for (const batch of prefetched) await Promise.resolve(batch).catch(() => {});
    await ctx.settleDraws();
    if (pendingLogQ !== null) await pendingLogQ.catch(() => {});
    throw error;
  }
  const seconds = (performance.now() - ctx.start) / 1000;
  let acc = 0;
  let prop = 0;
  for (let c = 0; c < chains; c++) {
    acc += ctx.accepted[c]!;
    prop += ctx.proposed[c]!;
  }
  return {
    scheme: kind,
    chains,
    steps,
    series,
    accepted: ctx.accepted,
    proposed: ctx.proposed,
    acceptanceRate: prop > 0 ? acc / prop : 0,
    final: { data: state.slice(), count: chains },
    ...(configurations ? { configurations } : {}),
    seconds,
  };
}

/**
 * Metropolis-Hastings acceptance of a DDM step, chain by chain with the step's uniforms:
 * accepted chains take the proposal's state, energy and log q (`energy` and `logQ` in place).
 * Their states are copied in runs of neighbouring chains (one copy per run instead of one per
 * chain: with acceptance near 1, one copy per step).
 */
function acceptProposals(
  ctx: StepsContext,
  energy: Float64Array,
  logQ: Float64Array,
  drawn: Proposals,
  eNew: Float64Array,
): void {
  const { chains, n, state, u, accepted, proposed } = ctx;
  const beta = ctx.model.beta;
  const logQNew = drawn.logProbabilities;
  let run = 0;
  for (let c = 0; c <= chains; c++) {
    let accept = false;
    if (c < chains) {
      proposed[c]!++;
      const logA = logAcceptance(beta, energy[c]!, eNew[c]!, logQ[c]!, logQNew[c]!);
      accept = logA === 0 || Math.log(u[c]!) < logA;
    }
    if (accept) {
      accepted[c]!++;
      energy[c] = eNew[c]!;
      logQ[c] = logQNew[c]!;
      run++;
    } else if (run > 0) {
      state.set(drawn.data.subarray((c - run) * n, c * n), (c - run) * n);
      run = 0;
    }
  }
}

/** `sweeps` local Metropolis sweeps of every chain, chain c with its own stream. */
function sweepChains(
  model: LatticeModelInstance,
  state: Int32Array,
  n: number,
  chains: number,
  sweeps: number,
  streams: RandomGenerator[],
): void {
  for (let c = 0; c < chains; c++) {
    const x = state.subarray(c * n, (c + 1) * n);
    for (let k = 0; k < sweeps; k++) metropolisSweep(model, x, streams[c]!);
  }
}

/** One step of local chains: a sweep of every chain, counted. */
function localStep(ctx: StepsContext): void {
  const { model, chains, n, state, chainStreams, accepted, proposed } = ctx;
  for (let c = 0; c < chains; c++) {
    const x = state.subarray(c * n, (c + 1) * n);
    const r = metropolisSweep(model, x, chainStreams[c]!);
    accepted[c]! += r.accepted;
    proposed[c]! += r.attempted;
  }
}

/** One step of cluster-move chains: a move of every chain, counted. */
function clusterStep(ctx: StepsContext): void {
  const { model, chains, n, state, chainStreams, accepted, proposed } = ctx;
  for (let c = 0; c < chains; c++) {
    const x = state.subarray(c * n, (c + 1) * n);
    const r = model.clusterMove!(x, chainStreams[c]!);
    if (r.accepted) accepted[c]!++;
    proposed[c]!++;
  }
}

/** Records recorded step s: every observable of every chain, and the states if kept. */
function record(ctx: StepsContext, s: number): void {
  const { model, chains, n, steps, state, names, series, configurations } = ctx;
  const batch = { data: state, count: chains };
  for (const name of names) {
    const values = model.observe(name, batch);
    const out = series[name]!;
    for (let c = 0; c < chains; c++) out[c * steps + s] = values[c]!;
  }
  if (configurations)
    for (let c = 0; c < chains; c++)
      configurations.set(state.subarray(c * n, (c + 1) * n), (c * steps + s) * n);
}

async function denoiseBatch(
  mps: MPS,
  noise: NoiseProcess,
  noisy: { data: Int32Array; count: number },
  time: number,
  random: RandomGenerator,
  pool: SamplerPool | undefined,
): Promise<DenoiseResult> {
  if (!pool) return denoise(mps, noise, { noisy, time, seed: random });
  return denoiseInPool(pool, mps, noise, { noisy, time, seed: random });
}

/**
 * log P_theta(x') of connected proposals from the denoising pass itself, by Bayes:
 * P(x') = P(x' | y) P_T(y) / k_T(y | x'), so
 * log P(x') = log P(x' | y) + log P_T(y) - sum_i log k_T(y_i | x'_i). Every term is an exact
 * float64 quantity the denoiser already has; this replaces a second environment pass over x'.
 * `logKernel[y * D + x]` = log k_T(y | x). Internal (exported for tests).
 */
export function connectedLogProposal(
  logKernel: Float64Array,
  noisy: Int32Array,
  clean: Int32Array,
  sites: number,
  logConditional: Float64Array,
  logNoisy: Float64Array,
): Float64Array {
  const count = logConditional.length;
  const D = Math.round(Math.sqrt(logKernel.length));
  const out = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    let logK = 0;
    const o = b * sites;
    for (let i = 0; i < sites; i++) logK += logKernel[noisy[o + i]! * D + clean[o + i]!]!;
    out[b] = logConditional[b]! + logNoisy[b]! - logK;
  }
  return out;
}
