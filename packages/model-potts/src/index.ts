export {
  MAX_MPS_BOND_DIMENSION,
  MAX_MPS_ENTRIES,
  type PottsExactMPS,
  pottsExactMPS,
} from './exact-mps';
export {
  criticalBeta,
  DEFAULT_COLOURS,
  MAX_COLOURS,
  type PottsBoundary,
  type PottsParameters,
  pottsParameterSchema,
  resolvePottsParameters,
} from './parameters';
export { pottsModel } from './potts';
export {
  checkTransferSize,
  countDistributionFits,
  MAX_COUNT_ENTRIES,
  MAX_TRANSFER_STATES,
  MAX_TRANSFER_STATES_TORUS,
  MAX_TRANSFER_WORK,
  type PottsCountDistribution,
  type PottsExactResult,
  pottsCountDistribution,
  pottsTransferMatrix,
} from './transfer-matrix';
export {
  createPottsWolffUpdate,
  type NeighbourTable,
  neighbourTable,
  type PottsWolffUpdate,
} from './wolff';
