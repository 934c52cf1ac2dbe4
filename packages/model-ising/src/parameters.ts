import type { ParameterSchema } from '@latticediff/lattice';

/** Boundary conditions of the Ising lattice. */
export type IsingBoundary = 'cylinder' | 'torus' | 'open';

/** Parameters of the Ising model (all required here; `create` fills defaults). */
export type IsingParameters = {
  /** Columns along x (open on a cylinder). */
  lx: number;
  /** Sites per column along y (periodic on a cylinder). */
  ly: number;
  /** Inverse temperature beta. */
  beta: number;
  /** Coupling J (ferromagnetic for J > 0). */
  coupling: number;
  /** Field h. */
  field: number;
  /** `cylinder` (open x, periodic y), `torus` or `open`. */
  boundary: IsingBoundary;
};

/** beta_c = ln(1 + sqrt 2) / 2 of the infinite square lattice (J = 1). */
export const CRITICAL_BETA = Math.log(1 + Math.SQRT2) / 2;

/** The parameter schema (the CLI makes `--lx --ly --beta --coupling --field --boundary` from it). */
export const isingParameterSchema: ParameterSchema = {
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
    default: 8,
  },
  beta: {
    type: 'number',
    symbol: 'beta',
    description: 'Inverse temperature (the infinite-lattice critical point is 0.4406868 for J = 1)',
    minimum: 0,
    default: CRITICAL_BETA,
  },
  coupling: {
    type: 'number',
    symbol: 'J',
    description: 'Nearest-neighbour coupling J (ferromagnetic for J > 0)',
    default: 1,
  },
  field: { type: 'number', symbol: 'h', description: 'Magnetic field h', default: 0 },
  boundary: {
    type: 'choice',
    description:
      'cylinder: open along x, periodic along y; torus: periodic along both; open: open along both',
    choices: ['cylinder', 'torus', 'open'],
    default: 'cylinder',
  },
};
