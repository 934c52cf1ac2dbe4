export { type MetropolisSweepResult, metropolisSweep } from './baseline';
export {
  batchFromRows,
  batchRow,
  checkBatch,
  checkBatchShape,
  checkConfiguration,
  createBatch,
} from './configurations';
export type {
  ChoiceParameterSpec,
  ClusterMoveResult,
  Configuration,
  ConfigurationBatch,
  ExactObservables,
  Geometry,
  IntegerParameterSpec,
  LatticeModel,
  LatticeModelInstance,
  LatticeSymmetry,
  LocalFactors,
  LocalMoves,
  NumberParameterSpec,
  ObservableSpec,
  ParameterSchema,
  ParameterSpec,
  ParameterValues,
  SpecificationVersion,
} from './contract';
export {
  CompensatedSum,
  configurationIndex,
  type EnumerationResult,
  enumerateConfigurations,
  exactByEnumeration,
  MAX_ENUMERATION_SIZE,
} from './enumerate';
export {
  assertInteger,
  assertLogWeightRange,
  describeIntegerRange,
  invalidArgument,
  MAX_LOG_WEIGHT_RANGE,
} from './errors';
export {
  boundaryPeriodicity,
  chain,
  columnOrderIndex,
  configurationToGrid,
  MAX_LATTICE_SITES,
  type SquareBoundary,
  type SquareLatticeOptions,
  type SquareOrder,
  squareLattice,
} from './geometry';
export {
  describeParameterSpec,
  isValidParameterValue,
  parseParameters,
  resolveParameters,
} from './parameters';
export {
  type PhysicsBornMPSOptions,
  type PhysicsBornMPSResult,
  physicsBornMPS,
} from './physics-mps';
export {
  type ProbeLocalFactorsOptions,
  type ProbeLocalFactorsResult,
  probeLocalFactors,
} from './probe-factors';
export { randomInteger, toRandom } from './random';
export {
  applySymmetry,
  checkSymmetry,
  geometrySymmetries,
  randomSymmetryImages,
} from './symmetries';
