/**
 * Neural (MADE and PixelCNN) proposals in the command: @latticediff/neural is an optional peer
 * dependency, imported only when a neural proposal is asked for (`train --proposal neural`, a
 * neural checkpoint given to `mc` or `sample`), so that users of the MPS proposals never install
 * tfjs. Also: reading neural checkpoints (the `latticediff.made` and `latticediff.pixelcnn`
 * formats, told apart by their `format` field) and the hard-constraint test that decides whether
 * reverse KL can train a network for a model (`--objective nll` can train one for any model).
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { LatticeModelInstance, ParameterValues } from '@latticediff/lattice';
import type * as NeuralPackage from '@latticediff/neural';
import { createRandom, LatticeDiffError } from '@latticediff/tensor-network';
import { oneLine, quote, UsageError, usage } from './errors';

export type Neural = typeof NeuralPackage;
export type MADENetwork = NeuralPackage.MADE;
/** Either network of the package (both train, draw, evaluate and save the same way). */
export type NeuralNetwork = NeuralPackage.MADE | NeuralPackage.PixelCNN;
/** The networks `train --network` offers, by the name of the flag's value. */
export type NetworkKind = 'made' | 'pixelcnn';

/** The package and the peers it brings, as an install hint names them. */
export const NEURAL_PACKAGE = '@latticediff/neural';
const TFJS_PEERS = [
  '@tensorflow/tfjs-core@^4.22.0',
  '@tensorflow/tfjs-backend-wasm@^4.22.0',
  '@tensorflow/tfjs-backend-cpu@^4.22.0',
];
/** The checkpoint format version this command writes and needs the package to read. */
const NEEDED_FORMAT_VERSION = 1;

/**
 * What a failed `import(specifier)` of the neural package means for the user: the package is
 * not installed, or it is installed but one of its peers (tfjs) is missing, or something else
 * (rethrown as is). `why` says what asked for it (e.g. `--proposal neural`).
 */
export function neuralImportError(error: unknown, specifier: string, why: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? oneLine(error.message) : String(error);
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
    if (missing === undefined || missing === specifier || missing.startsWith(`${specifier}/`)) {
      return new UsageError(
        `${why} needs the package ${specifier}, which is not installed (the CLI takes it as an optional peer dependency, so that users of the MPS proposals do not install tfjs)`,
        `install it where the CLI is installed: "npm install -g ${specifier}" beside a global CLI, or "npm install ${specifier}" in the project; it brings its tfjs peers`,
      );
    }
    return new UsageError(
      `${why}: ${specifier} is installed but cannot be loaded: ${missing} is missing`,
      `install the peers of ${specifier}: "npm install ${TFJS_PEERS.join(' ')}"`,
    );
  }
  return error instanceof Error ? error : new Error(message);
}

let loaded: Neural | undefined;

/**
 * Imports @latticediff/neural (once), with a one-line usage error naming the package and how to
 * install it when it is missing, and a check that the installed version has what this command
 * uses.
 */
export async function loadNeural(why: string): Promise<Neural> {
  if (loaded) return loaded;
  let neural: Neural;
  try {
    neural = await import('@latticediff/neural');
  } catch (error) {
    throw neuralImportError(error, NEURAL_PACKAGE, why);
  }
  if (
    typeof neural.MADE?.fromJSON !== 'function' ||
    typeof neural.ReverseKLTrainer?.fromJSON !== 'function' ||
    !neural.MADE_FILE_SUPPORTED_VERSIONS?.includes(NEEDED_FORMAT_VERSION)
  ) {
    usage(
      `${why}: the installed ${NEURAL_PACKAGE} is too old for this CLI (it needs ReverseKLTrainer and checkpoint format version ${NEEDED_FORMAT_VERSION})`,
      `update it: "npm install ${NEURAL_PACKAGE}@latest"`,
    );
  }
  loaded = neural;
  return neural;
}

/** The checkpoint format version of `latticediff.pixelcnn` this command writes and reads. */
const NEEDED_PIXELCNN_FORMAT_VERSION = 1;

/**
 * The class of a network kind, with a usage error when the installed package predates the
 * PixelCNN (`why` says what asked for it).
 */
export function networkClass(
  neural: Neural,
  kind: NetworkKind,
  why: string,
): Neural['MADE'] | Neural['PixelCNN'] {
  if (kind === 'made') return neural.MADE;
  if (
    typeof neural.PixelCNN?.fromJSON !== 'function' ||
    !neural.PIXELCNN_FILE_SUPPORTED_VERSIONS?.includes(NEEDED_PIXELCNN_FORMAT_VERSION)
  ) {
    usage(
      `${why}: the installed ${NEURAL_PACKAGE} is too old for this CLI (it has no PixelCNN with checkpoint format version ${NEEDED_PIXELCNN_FORMAT_VERSION})`,
      `update it: "npm install ${NEURAL_PACKAGE}@latest"`,
    );
  }
  return neural.PixelCNN;
}

/**
 * Starts the tfjs backend: `wasm` unless `cpu` is asked for; without an explicit choice a wasm
 * backend that cannot start falls back to cpu with a note on stderr (unless `quiet`).
 */
export async function startBackend(
  neural: Neural,
  requested: 'wasm' | 'cpu' | undefined,
  quiet: boolean,
): Promise<'wasm' | 'cpu'> {
  const wanted = requested ?? 'wasm';
  let backend: 'wasm' | 'cpu';
  try {
    backend = await neural.initBackend(wanted, { strict: requested !== undefined });
  } catch (error) {
    throw new UsageError(
      `--backend ${wanted}: ${error instanceof Error ? oneLine(error.message) : String(error)}`,
      'try --backend cpu',
    );
  }
  if (backend !== wanted && !quiet) {
    process.stderr.write(
      `latticediff: note: the tfjs ${wanted} backend could not start; using ${backend}\n`,
    );
  }
  return backend;
}

/**
 * True when the file at `path` starts like a neural checkpoint (reads its first bytes only;
 * false for a missing or unreadable file, whose error the MPS reader then reports).
 */
export function isNeuralCheckpointFile(path: string): boolean {
  let fd: number | undefined;
  try {
    // (opening a FIFO blocks until a writer comes: readCheckpoint refuses what is not a file)
    if (!statSync(path).isFile()) return false;
    fd = openSync(path, 'r');
    const head = Buffer.alloc(200);
    const read = readSync(fd, head, 0, head.length, 0);
    return isNeuralCheckpointText(head.subarray(0, read).toString('utf8'));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The network kind of a neural checkpoint's text (format latticediff.made or
 * latticediff.pixelcnn), or undefined for anything else (an MPS, a foreign file).
 */
export function neuralCheckpointKind(text: string): NetworkKind | undefined {
  // the format field is near the start; parsing the whole file would cost as much as reading it
  const format = /^\s*\{\s*"format"\s*:\s*"latticediff\.(made|pixelcnn)"/.exec(text.slice(0, 200));
  return format?.[1] as NetworkKind | undefined;
}

/** True when `text` (a file's contents) is a neural checkpoint (MADE or PixelCNN). */
export function isNeuralCheckpointText(text: string): boolean {
  return neuralCheckpointKind(text) !== undefined;
}

/** A neural checkpoint read from a file, with the model it was trained for. */
export interface NeuralCheckpoint {
  readonly path: string;
  /** Which network the file holds. */
  readonly kind: NetworkKind;
  /** The network (a MADE or a PixelCNN: the field's name is older than the PixelCNN). */
  readonly made: NeuralNetwork;
  readonly metadata: Record<string, unknown>;
  readonly modelId: string;
  readonly parameters: ParameterValues;
  readonly sites: number;
  readonly localDimension: number;
}

const TRAIN_HINT =
  'create one with "latticediff train <model> [model parameters] --proposal neural --out FILE"';

/** Reads a neural checkpoint (exit 2 naming the file for a corrupted or foreign one). */
export function readNeuralCheckpoint(
  neural: Neural,
  path: string,
  text?: string,
): NeuralCheckpoint {
  const contents = text ?? readFileSync(path, 'utf8');
  const kind = neuralCheckpointKind(contents) ?? 'made';
  const network = networkClass(neural, kind, `checkpoint ${quote(path)} (a ${kind} network)`);
  let made: NeuralNetwork;
  let metadata: Record<string, unknown>;
  try {
    metadata = network.readMetadata(contents);
    made = network.fromJSON(contents);
  } catch (error) {
    if (LatticeDiffError.isInstance(error)) {
      usage(
        `corrupted or invalid neural checkpoint ${quote(path)}: ${oneLine(error.message)}`,
        TRAIN_HINT,
      );
    }
    throw error;
  }
  const { model, parameters } = metadata;
  if (
    typeof model !== 'string' ||
    typeof parameters !== 'object' ||
    parameters === null ||
    Array.isArray(parameters)
  ) {
    made.dispose();
    usage(
      `neural checkpoint ${quote(path)} has no model and parameters in its metadata (not written by "latticediff train")`,
      TRAIN_HINT,
    );
  }
  const values: ParameterValues = {};
  for (const [k, v] of Object.entries(parameters as Record<string, unknown>)) {
    if (typeof v !== 'number' && typeof v !== 'string') {
      made.dispose();
      usage(`checkpoint ${quote(path)} has an invalid parameter ${k} = ${JSON.stringify(v)}`);
    }
    values[k] = v;
  }
  return {
    path,
    kind,
    made,
    metadata,
    modelId: model,
    parameters: values,
    sites: made.sites,
    localDimension: made.localDimension,
  };
}

/** Uniform configurations drawn to look for hard constraints in a model without local factors. */
const CONSTRAINT_PROBES = 256;

/**
 * Whether the model has hard constraints (configurations of energy +Infinity): from its local
 * factors where it has them, else by evaluating the energy of uniformly drawn configurations
 * (which misses a constraint that almost every configuration satisfies; training then stops at
 * the first draw it meets, with the same message).
 */
export function hasHardConstraints(instance: LatticeModelInstance): boolean {
  if (typeof instance.localFactors === 'function') {
    return (instance.localFactors().constraints?.length ?? 0) > 0;
  }
  const { sites: n, localDimension: d } = instance;
  const random = createRandom(0);
  const data = new Int32Array(CONSTRAINT_PROBES * n);
  for (let k = 0; k < data.length; k++) data[k] = random.uint32() % d;
  const energies = instance.energy({ data, count: CONSTRAINT_PROBES });
  return energies.some((e) => !Number.isFinite(e));
}

/** The usage error for reverse KL on a model with hard constraints. */
export function hardConstraintsError(modelId: string): UsageError {
  return new UsageError(
    `--proposal neural trains by reverse KL by default (the variational free energy E_q[ln q + beta E]), which is infinite for a network that puts any weight off the allowed set, and ${modelId} has hard constraints (E = +Infinity off it)`,
    `add --objective nll to train the network by NLL on Monte Carlo samples, which takes hard constraints, or train an MPS proposal ("latticediff train ${modelId} ... --out FILE" builds one from the constraints)`,
  );
}
