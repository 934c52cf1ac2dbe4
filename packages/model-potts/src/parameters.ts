import { invalidArgument, type ParameterSchema, resolveParameters } from '@latticediff/lattice';

/** Boundary conditions of the Potts lattice (as for the Ising model). */
export type PottsBoundary = 'cylinder' | 'torus' | 'open';

/** Parameters of the Potts model (all required here; `create` fills defaults). */
export type PottsParameters = {
  /** Columns along x (open on a cylinder). */
  lx: number;
  /** Sites per column along y (periodic on a cylinder). */
  ly: number;
  /** Number of colours q (local dimension; digits 0..q-1). */
  q: number;
  /** Inverse temperature beta (default: the critical point ln(1 + sqrt q) for J = 1). */
  beta: number;
  /** Coupling J (ferromagnetic for J > 0). */
  coupling: number;
  /** Field h on colour 0. */
  field: number;
  /** `cylinder` (open x, periodic y), `torus` or `open`. */
  boundary: PottsBoundary;
};

/** Largest number of colours. */
export const MAX_COLOURS = 10;

/**
 * beta_c(q) = ln(1 + sqrt q), the exact critical point of the q-state Potts model on the infinite
 * square lattice with J = 1 (self-dual point; continuous transition for q <= 4, first order above).
 */
export function criticalBeta(q: number): number {
  // (NaN and -1 gave NaN, q = 1 a value: a Potts model has q >= 2 colours)
  if (!(Number.isInteger(q) && q >= 2)) invalidArgument('criticalBeta', 'q', q, 'an integer >= 2');
  return Math.log(1 + Math.sqrt(q));
}

/** The default q and its critical point ln(1 + sqrt 3) = 1.0050525. */
export const DEFAULT_COLOURS = 3;

/**
 * The parameter schema (the CLI makes `--lx --ly --q --beta --coupling --field --boundary` from it).
 * A missing `beta` is the critical point ln(1 + sqrt q) of the given q; the schema's default is the
 * value for the default q = 3.
 */
export const pottsParameterSchema: ParameterSchema = {
  lx: {
    type: 'integer',
    symbol: 'L_x',
    description: 'Number of columns along x (the open axis of the cylinder)',
    minimum: 1,
    default: 8,
  },
  ly: {
    type: 'integer',
    symbol: 'L_y',
    description: 'Number of sites per column along y (the periodic axis of the cylinder)',
    minimum: 2,
    default: 4,
  },
  q: {
    type: 'integer',
    symbol: 'q',
    description: 'Number of colours (local dimension; digits 0..q-1)',
    minimum: 2,
    maximum: MAX_COLOURS,
    default: DEFAULT_COLOURS,
  },
  beta: {
    type: 'number',
    symbol: 'beta',
    description:
      'Inverse temperature; when not given, the critical point ln(1 + sqrt q) of the infinite lattice for J = 1 (1.0050525 for q = 3)',
    minimum: 0,
    default: criticalBeta(DEFAULT_COLOURS),
  },
  coupling: {
    type: 'number',
    symbol: 'J',
    description: 'Nearest-neighbour coupling J (ferromagnetic for J > 0)',
    default: 1,
  },
  field: { type: 'number', symbol: 'h', description: 'Field h on colour 0', default: 0 },
  boundary: {
    type: 'choice',
    description:
      'cylinder: open along x, periodic along y; torus: periodic along both; open: open along both',
    choices: ['cylinder', 'torus', 'open'],
    default: 'cylinder',
  },
};

/**
 * Validates Potts parameters (throws an InvalidArgumentError naming the parameter) and fills in
 * defaults; a missing `beta` becomes the critical point ln(1 + sqrt q) of the resolved q.
 */
export function resolvePottsParameters(
  functionName: string,
  input: Readonly<Record<string, unknown>> | undefined,
): PottsParameters {
  const p = resolveParameters<PottsParameters>(functionName, pottsParameterSchema, input);
  const given = input as Record<string, unknown> | undefined;
  if (given === undefined || given === null || given.beta === undefined) {
    p.beta = criticalBeta(p.q);
  }
  return p;
}
