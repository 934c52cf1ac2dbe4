/**
 * Pieces shared by the commands: model parameter flags, model instances, checkpoint files,
 * worker pools.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type {
  ExactObservables,
  LatticeModel,
  LatticeModelInstance,
  ParameterValues,
} from '@latticediff/lattice';
import {
  createSamplerPool,
  deserializeMPS,
  InvalidArgumentError,
  LatticeDiffError,
  type MPS,
  type MPSMetadata,
  type SamplerPool,
} from '@latticediff/tensor-network';
import { type FlagSpec, type FlagValues, flagName } from './args';
import { oneLine, quote, UsageError, usage } from './errors';
import { loadModel, type ModelEntry } from './registry';

/** A model chosen on the command line. */
export interface ModelChoice {
  readonly entry: ModelEntry;
  readonly model: LatticeModel;
  /** Flags made from the parameter schema. */
  readonly flags: readonly FlagSpec[];
}

export const JSON_FLAG = {
  name: 'json',
  type: 'boolean',
  description: 'print one JSON object on stdout instead of text',
} as const satisfies FlagSpec;

export const SEED_FLAG = {
  name: 'seed',
  type: 'integer',
  valueName: 'S',
  description: 'random seed; the same seed gives the same result',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  default: 1,
} as const satisfies FlagSpec;

export const WORKERS_FLAG = {
  name: 'workers',
  type: 'integer',
  valueName: 'N',
  description:
    'worker threads (1: no workers) for the proposals and the training sweeps (train: also its chains and the path pilot)',
  minimum: 1,
  maximum: 64,
  default: 2,
} as const satisfies FlagSpec;

/** Flags `--<name>` for the model's parameters (`--model-<name>` if a command flag has the name). */
export function modelParameterFlags(
  model: LatticeModel,
  reserved: readonly FlagSpec[],
): FlagSpec[] {
  const taken = new Set(reserved.map((f) => f.name));
  return Object.entries(model.parameterSchema).map(([name, spec]) => {
    let flag = flagName(name);
    if (taken.has(flag)) flag = `model-${flag}`;
    const defaultText =
      spec.default === undefined
        ? undefined
        : typeof spec.default === 'number'
          ? String(Number(spec.default.toPrecision(10)))
          : spec.default;
    return {
      name: flag,
      type: spec.type === 'choice' ? 'choice' : spec.type,
      valueName:
        spec.type === 'choice' ? spec.choices.join('|') : spec.type === 'integer' ? 'N' : 'X',
      description:
        spec.symbol && spec.symbol !== name
          ? `${spec.description} [${spec.symbol}]`
          : spec.description,
      ...(defaultText !== undefined ? { defaultText } : { required: true }),
      ...(spec.type === 'choice' ? { choices: spec.choices } : {}),
      parameter: { name, spec },
    } satisfies FlagSpec;
  });
}

/** The model parameters given as flags (schema names -> values). */
export function givenParameters(choice: ModelChoice, values: FlagValues): ParameterValues {
  const out: ParameterValues = {};
  for (const flag of choice.flags) {
    const value = values[flag.name];
    if (value !== undefined && typeof value !== 'boolean' && flag.parameter) {
      out[flag.parameter.name] = value;
    }
  }
  return out;
}

/** `model.create(parameters)`, with library errors as one-line usage errors. */
export function createInstance(
  model: LatticeModel,
  parameters: ParameterValues,
  hint?: string,
  flags?: readonly FlagSpec[],
): LatticeModelInstance {
  try {
    return model.create(parameters);
  } catch (error) {
    if (LatticeDiffError.isInstance(error)) {
      throw new UsageError(oneLine(inFlagWords(error, parameters, flags)), hint);
    }
    throw error;
  }
}

/**
 * A model's refusal of one of its parameters in the words of the flag the user typed ("invalid
 * value for --lx: 1e9 (expected ...)"), as the command's own flag errors read; it said "`lx`
 * passed to `ising`". Other errors as they are.
 */
function inFlagWords(
  error: LatticeDiffError,
  parameters: ParameterValues,
  flags: readonly FlagSpec[] | undefined,
): string {
  if (!InvalidArgumentError.isInstance(error) || flags === undefined) return error.message;
  const flag = flags.find((f) => f.parameter?.name === error.argument);
  // (undefined from an installed copy of tensor-network older than the field)
  const expected = (error as { expected?: string }).expected;
  if (flag === undefined || expected === undefined) return error.message;
  const given = parameters[error.argument];
  return `invalid value for --${flag.name}: ${given === undefined ? String(error.value) : String(given)} (expected ${expected})`;
}

/** Runs `f`, turning library errors into usage errors with a hint. */
export function withHint<T>(hint: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (LatticeDiffError.isInstance(error)) throw new UsageError(oneLine(error.message), hint);
    throw error;
  }
}

/** The scalar observables of an instance, in display order. */
export function scalarObservables(instance: LatticeModelInstance): string[] {
  return instance.observables.filter((o) => o.size === 1).map((o) => o.name);
}

/** Exact references if the model has them at these parameters (undefined when too large). */
export function exactIfAvailable(instance: LatticeModelInstance): ExactObservables | undefined {
  if (typeof instance.exactObservables !== 'function') return undefined;
  try {
    return instance.exactObservables();
  } catch (error) {
    if (LatticeDiffError.isInstance(error)) return undefined;
    throw error;
  }
}

/** A trained model read from a `latticediff train` output file. */
export interface Checkpoint {
  readonly path: string;
  readonly mps: MPS;
  readonly metadata: MPSMetadata;
  readonly modelId: string;
  readonly parameters: ParameterValues;
}

const TRAIN_HINT = 'create one with "latticediff train <model> [model parameters] --out FILE"';

/**
 * What a file given as a checkpoint looks like when it cannot be one (a checkpoint is one JSON
 * object, starting with "{"): samples written by `latticediff sample` (CSV or JSON lines), or
 * other text. Undefined when it may be a checkpoint (damaged ones are reported by the parser).
 */
function foreignFileKind(text: string): string | undefined {
  const start = text.trimStart();
  const firstLine = start.split('\n', 1)[0] ?? '';
  if (start === '') return 'an empty file';
  if (!start.startsWith('{')) {
    return /^[\d\s,.+-e]+$/i.test(firstLine) && firstLine.includes(',')
      ? 'CSV (e.g. samples written by "latticediff sample")'
      : 'text of another kind';
  }
  try {
    const row = JSON.parse(firstLine) as unknown;
    if (typeof row === 'object' && row !== null && Array.isArray((row as { x?: unknown }).x)) {
      return 'JSON lines of samples (written by "latticediff sample")';
    }
  } catch {
    // a checkpoint's first line is "{" alone, not a whole JSON object
  }
  return undefined;
}

/** Reads and checks a checkpoint file (exit 2 for missing, corrupted or foreign files). */
export function readCheckpoint(path: string): Checkpoint {
  let text: string;
  try {
    // (a FIFO was read and hung)
    const stat = statSync(path);
    if (!stat.isFile() && !stat.isDirectory()) {
      usage(`checkpoint ${quote(path)} is not a regular file (a FIFO, device or socket)`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
  }
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') usage(`checkpoint not found: ${quote(path)}`, TRAIN_HINT);
    if (code === 'EISDIR') usage(`checkpoint ${quote(path)} is a directory, not a file`);
    if (code === 'EACCES') usage(`checkpoint ${quote(path)} is not readable (permission denied)`);
    throw error;
  }
  const foreign = foreignFileKind(text);
  if (foreign !== undefined) {
    usage(
      `${quote(path)} is not a checkpoint (an MPS file written by "latticediff train"): it looks like ${foreign}`,
      TRAIN_HINT,
    );
  }
  let parsed: ReturnType<typeof deserializeMPS>;
  try {
    parsed = deserializeMPS(text);
  } catch (error) {
    if (LatticeDiffError.isInstance(error)) {
      usage(
        `corrupted or invalid checkpoint ${quote(path)}: ${oneLine(error.message)}`,
        TRAIN_HINT,
      );
    }
    throw error;
  }
  const { metadata } = parsed;
  const modelId = metadata.model;
  const parameters = metadata.parameters;
  if (
    typeof modelId !== 'string' ||
    typeof parameters !== 'object' ||
    parameters === null ||
    Array.isArray(parameters)
  ) {
    usage(
      `checkpoint ${quote(path)} is an MPS file without a model and parameters in its metadata (not written by "latticediff train")`,
      TRAIN_HINT,
    );
  }
  const values: ParameterValues = {};
  for (const [k, v] of Object.entries(parameters)) {
    if (typeof v !== 'number' && typeof v !== 'string') {
      usage(`checkpoint ${quote(path)} has an invalid parameter ${k} = ${JSON.stringify(v)}`);
    }
    values[k] = v;
  }
  return { path, mps: parsed.mps, metadata, modelId, parameters: values };
}

function describeParameters(parameters: ParameterValues): string {
  return Object.entries(parameters)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(8)) : v}`)
    .join(', ');
}

/**
 * The model and instance a checkpoint is for. `choice` (a model named on the command line) must
 * be the checkpoint's model; `overrides` (parameters given as flags) replace the checkpoint's
 * parameters, and the sizes must still match the checkpoint's MPS.
 */
export async function checkpointModel(
  checkpoint:
    | Checkpoint
    | {
        readonly path: string;
        readonly modelId: string;
        readonly parameters: ParameterValues;
        readonly sites: number;
        readonly localDimension: number;
      },
  choice: ModelChoice | undefined,
  overrides: ParameterValues,
): Promise<{ entry: ModelEntry; model: LatticeModel; instance: LatticeModelInstance }> {
  if (choice && choice.model.id !== checkpoint.modelId) {
    usage(
      `checkpoint ${quote(checkpoint.path)} is for model ${checkpoint.modelId} (${describeParameters(checkpoint.parameters)}), not ${choice.model.id}`,
      `run "latticediff train ${choice.model.id} ... --out FILE" to train one for ${choice.model.id}`,
    );
  }
  const { entry, model } = choice ?? (await loadModel(checkpoint.modelId));
  const parameters = { ...checkpoint.parameters, ...overrides };
  let instance: LatticeModelInstance;
  try {
    instance = createInstance(model, parameters);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const flags = Object.keys(overrides).length > 0;
    usage(
      `${flags ? 'the parameter flags given with' : 'the parameters stored in'} checkpoint ${quote(checkpoint.path)} are refused by ${model.id}: ${error.message}`,
      flags
        ? `run "latticediff mc ${model.id} --help" for the parameter ranges`
        : 'the file was edited or written by another program; retrain it with "latticediff train"',
    );
  }
  // an MPS checkpoint, or a neural one (its network's sizes)
  const length = 'mps' in checkpoint ? checkpoint.mps.length : checkpoint.sites;
  const dims = 'mps' in checkpoint ? checkpoint.mps.physicalDims : [checkpoint.localDimension];
  if (length !== instance.sites || dims.some((d) => d !== instance.localDimension)) {
    usage(
      `checkpoint ${quote(checkpoint.path)} holds ${'mps' in checkpoint ? 'an MPS' : 'a network'} of ${length} sites for ${checkpoint.modelId} (${describeParameters(checkpoint.parameters)}), but ${model.id} (${describeParameters(instance.parameters)}) has ${instance.sites} sites of dimension ${instance.localDimension}`,
      'use a checkpoint trained at these sizes',
    );
  }
  return { entry, model, instance };
}

/** Runs `f` with a worker pool of `workers` threads (none for 1), closed afterwards. */
export async function withPool<T>(
  workers: number,
  f: (pool: SamplerPool | undefined) => Promise<T>,
): Promise<T> {
  if (workers <= 1) return f(undefined);
  const pool = await createSamplerPool({ workers });
  try {
    return await f(pool);
  } finally {
    await pool.close();
  }
}

/**
 * The annealing path of `train`: the parameter the model declares (`model.annealing`, part of
 * the lattice contract), from its declared start (or `from`) to the target. A model that
 * declares none trains at the target throughout.
 */
export function defaultAnnealing(
  model: LatticeModel,
  target: ParameterValues,
  from?: number,
): { parameter: string; from: number } | undefined {
  const annealing = model.annealing;
  if (annealing === undefined) return undefined;
  return { parameter: annealing.parameter, from: from ?? annealing.start(target) };
}

/**
 * On Ctrl-C or a termination signal, stop at once and say how to resume: the state of the last
 * finished step is already on disk (written atomically) at `statePath`, shown as `shownState`;
 * `nothingYet` is said when no state has been saved. Returns the function that removes the
 * handlers (call it when the run ends).
 */
export function exitOnInterrupt(
  progress: { finish(): void },
  statePath: string,
  shownState: string,
  nothingYet: string,
): () => void {
  const interrupted = (signal: NodeJS.Signals) => {
    progress.finish();
    process.stderr.write(
      `latticediff: interrupted (${signal}); ${
        existsSync(statePath) ? `rerun the same command to resume from ${shownState}` : nothingYet
      }\n`,
    );
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return () => {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  };
}
