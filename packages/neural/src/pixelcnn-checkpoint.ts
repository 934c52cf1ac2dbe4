/**
 * The `latticediff.pixelcnn` checkpoint format (version 1): a PixelCNN network's layout (the
 * lattice's extent, the grid cell of each site, the periodic axes), its sizes and its float32
 * weights exactly, a CRC-32 checksum, and optionally the reverse-KL training state, encoded as
 * in the `latticediff.made` format (FORMAT.md of this package is the specification).
 */
import { FormatError } from '@latticediff/tensor-network';
import {
  type CheckpointTraining,
  DTYPE,
  decodeBody,
  describe,
  encodeBody,
  integer,
  isObject,
  onlyFields,
  type ReverseKLTrainingState,
} from './checkpoint';

/**
 * Largest k^2 N^2 (entries of one layer's selection matrix, float32): 128 MB, e.g. a 44 x 44
 * lattice with kernel 3 is refused (43 x 43 is not), 34 x 34 is the largest square one with
 * kernel 5. `PixelCNN.create` and the checkpoint reader both hold to it.
 */
export const MAX_SELECTION_ENTRIES = 2 ** 25;

/** Value of the `format` field of every PixelCNN checkpoint. */
export const PIXELCNN_FILE_FORMAT = 'latticediff.pixelcnn';
/** Version written by `PixelCNN.toJSON`. */
export const PIXELCNN_FILE_VERSION = 1;
/** Versions `PixelCNN.fromJSON` reads. */
export const PIXELCNN_FILE_SUPPORTED_VERSIONS: readonly number[] = Object.freeze([1]);

const TOP_LEVEL_FIELDS = [
  'format',
  'version',
  'sites',
  'localDimension',
  'lx',
  'ly',
  'cells',
  'periodic',
  'kernelSize',
  'channels',
  'depth',
  'dtype',
  'checksum',
  'weights',
  'training',
  'metadata',
];

/** The architecture of a PixelCNN network (what fixes the shapes and the masks). */
export interface PixelCNNArchitecture {
  sites: number;
  localDimension: number;
  lx: number;
  ly: number;
  /** Grid cell ix * ly + iy of each site, in site order (a permutation of 0..N-1). */
  cells: readonly number[];
  /** Periodic padding along x and y. */
  periodic: readonly [boolean, boolean];
  kernelSize: number;
  channels: number;
  depth: number;
}

/** A decoded PixelCNN checkpoint. */
export interface DecodedPixelCNNCheckpoint extends PixelCNNArchitecture {
  /** In {@link pixelCNNWeightNames} order. */
  weights: Float32Array[];
  training?: ReverseKLTrainingState;
  metadata: Record<string, unknown>;
}

/** The JSON object of a PixelCNN checkpoint (what `PixelCNN.toJSON` returns). */
export interface PixelCNNCheckpoint {
  format: typeof PIXELCNN_FILE_FORMAT;
  version: number;
  sites: number;
  localDimension: number;
  lx: number;
  ly: number;
  cells: number[];
  periodic: [boolean, boolean];
  kernelSize: number;
  channels: number;
  depth: number;
  dtype: typeof DTYPE;
  checksum: string;
  weights: Record<string, string>;
  training?: CheckpointTraining<string>;
  metadata?: Record<string, unknown>;
}

/** Names of the tensors, in the order of the checksum and of `PixelCNN.variables`. */
export function pixelCNNWeightNames(depth: number): string[] {
  const names: string[] = [];
  for (let l = 1; l <= depth; l++) names.push(`w${l}`, `b${l}`);
  names.push('wOut', 'bOut', 'bFirst');
  return names;
}

/** Shapes of the tensors, in {@link pixelCNNWeightNames} order. */
export function pixelCNNWeightShapes(a: {
  localDimension: number;
  kernelSize: number;
  channels: number;
  depth: number;
}): number[][] {
  const { localDimension: d, kernelSize: k, channels: c, depth } = a;
  const shapes: number[][] = [];
  for (let l = 1; l <= depth; l++) shapes.push([k * k * (l === 1 ? d : c), c], [c]);
  shapes.push([c, d], [d], [d]);
  return shapes;
}

function header(a: PixelCNNArchitecture): string {
  return (
    `${PIXELCNN_FILE_FORMAT}\nversion=${PIXELCNN_FILE_VERSION}\nsites=${a.sites}\n` +
    `localDimension=${a.localDimension}\nlx=${a.lx}\nly=${a.ly}\ncells=${a.cells.join(',')}\n` +
    `periodic=${a.periodic.join(',')}\nkernelSize=${a.kernelSize}\nchannels=${a.channels}\n` +
    `depth=${a.depth}\ndtype=${DTYPE}\n`
  );
}

/** The checkpoint object of a decoded checkpoint (the writer). */
export function encodePixelCNNCheckpoint(decoded: DecodedPixelCNNCheckpoint): PixelCNNCheckpoint {
  const names = pixelCNNWeightNames(decoded.depth);
  const { weights, training, checksum } = encodeBody(
    header(decoded),
    names,
    decoded.weights,
    decoded.training,
  );
  return {
    format: PIXELCNN_FILE_FORMAT,
    version: PIXELCNN_FILE_VERSION,
    sites: decoded.sites,
    localDimension: decoded.localDimension,
    lx: decoded.lx,
    ly: decoded.ly,
    cells: [...decoded.cells],
    periodic: [decoded.periodic[0], decoded.periodic[1]],
    kernelSize: decoded.kernelSize,
    channels: decoded.channels,
    depth: decoded.depth,
    dtype: DTYPE,
    checksum,
    weights,
    ...(training ? { training } : {}),
    ...(Object.keys(decoded.metadata).length > 0 ? { metadata: decoded.metadata } : {}),
  };
}

/**
 * Reads and checks a PixelCNN checkpoint (its JSON text or the parsed object); throws a
 * `FormatError` naming the offending field.
 */
export function decodePixelCNNCheckpoint(json: unknown): DecodedPixelCNNCheckpoint {
  let document = json;
  if (typeof json === 'string') {
    try {
      document = JSON.parse(json.charCodeAt(0) === 0xfeff ? json.slice(1) : json);
    } catch (error) {
      throw new FormatError('document', `not JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(document)) {
    throw new FormatError('document', `expected a JSON object, got ${describe(document)}`);
  }
  const d = document;
  if (d.format !== PIXELCNN_FILE_FORMAT) {
    throw new FormatError(
      'format',
      `expected "${PIXELCNN_FILE_FORMAT}", got ${describe(d.format)}`,
    );
  }
  if (!PIXELCNN_FILE_SUPPORTED_VERSIONS.includes(d.version as number)) {
    throw new FormatError(
      'version',
      `version ${describe(d.version)} is not supported (this reader knows ${PIXELCNN_FILE_SUPPORTED_VERSIONS.join(', ')})`,
    );
  }
  onlyFields('', d, TOP_LEVEL_FIELDS);
  const sites = integer('sites', d.sites, 1, 4096);
  const localDimension = integer('localDimension', d.localDimension, 2, 64);
  const lx = integer('lx', d.lx, 1, 4096);
  const ly = integer('ly', d.ly, 1, 4096);
  if (lx * ly !== sites)
    throw new FormatError('ly', `lx * ly = ${lx * ly} is not sites = ${sites}`);
  if (!Array.isArray(d.cells) || d.cells.length !== sites) {
    throw new FormatError('cells', `expected an array of ${sites} grid cells`);
  }
  const seen = new Uint8Array(sites);
  const cells = d.cells.map((c, i) => {
    const cell = integer(`cells[${i}]`, c, 0, sites - 1);
    if (seen[cell]) throw new FormatError(`cells[${i}]`, `cell ${cell} appears twice`);
    seen[cell] = 1;
    return cell;
  });
  const p = d.periodic;
  if (!Array.isArray(p) || p.length !== 2 || p.some((v) => typeof v !== 'boolean')) {
    throw new FormatError('periodic', 'expected two booleans [x, y]');
  }
  const kernelSize = integer('kernelSize', d.kernelSize, 1, 63);
  if (kernelSize % 2 !== 1) throw new FormatError('kernelSize', 'expected an odd integer');
  // (the reader loaded what create refuses: a 50 x 50 network with kernel 3, and at 64 x 64 with
  // kernel 63 failed with a bare RangeError allocating the selection matrices)
  const radius = (kernelSize - 1) / 2;
  if ((p[0] === true && radius > lx) || (p[1] === true && radius > ly)) {
    throw new FormatError(
      'kernelSize',
      `expected at most 2 L + 1 along a periodic axis of length L (as PixelCNN.create requires), got ${kernelSize}`,
    );
  }
  if (kernelSize * kernelSize * sites * sites > MAX_SELECTION_ENTRIES) {
    throw new FormatError(
      'kernelSize',
      `expected k^2 N^2 <= 2^25 for N = ${sites} sites (the dense selection matrices of the convolutions, as PixelCNN.create requires), got k = ${kernelSize}`,
    );
  }
  const channels = integer('channels', d.channels, 1, 4096);
  const depth = integer('depth', d.depth, 1, 64);
  if (d.dtype !== DTYPE) {
    throw new FormatError('dtype', `expected "${DTYPE}", got ${describe(d.dtype)}`);
  }
  if (typeof d.checksum !== 'string' || !/^[0-9a-f]{8}$/.test(d.checksum)) {
    throw new FormatError('checksum', 'expected 8 lowercase hexadecimal digits');
  }
  const architecture: PixelCNNArchitecture = {
    sites,
    localDimension,
    lx,
    ly,
    cells,
    periodic: [p[0] as boolean, p[1] as boolean],
    kernelSize,
    channels,
    depth,
  };
  const names = pixelCNNWeightNames(depth);
  const sizes = pixelCNNWeightShapes(architecture).map((s) => s.reduce((a, b) => a * b));
  const { weights, training, metadata } = decodeBody(d, names, sizes, header(architecture));
  return { ...architecture, weights, ...(training ? { training } : {}), metadata };
}
