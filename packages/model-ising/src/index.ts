export {
  type IsingExactMPS,
  isingExactMPS,
  MAX_MPS_ACTIVE_SPINS,
  MAX_MPS_ENTRIES,
} from './exact-mps';
export { isingModel } from './ising';
export {
  CRITICAL_BETA,
  type IsingBoundary,
  type IsingParameters,
  isingParameterSchema,
} from './parameters';
export {
  checkTransferSize,
  type IsingExactResult,
  isingTransferMatrix,
  MAX_TRANSFER_ENTRIES,
  MAX_TRANSFER_LY,
  MAX_TRANSFER_LY_TORUS,
} from './transfer-matrix';
export { createWolffUpdate, neighbourTable, type WolffResult, type WolffUpdate } from './wolff';
