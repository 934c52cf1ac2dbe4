export {
  type CanonicalizeOptions,
  type CanonicalizeResult,
  type CompressOptions,
  type CompressResult,
  canonicalize,
  compress,
  entanglementEntropy,
  schmidtValues,
  truncationRank,
} from './canonical';
export type { ConfigurationBatch, ConfigurationsInput } from './configurations';
export { fromDense, toDense } from './dense';
export {
  accumulateSampleOuterProducts,
  bornSiteWeights,
  type SiteTensorView,
  sampleAmplitudes,
  type TransferOptions,
  transferBornEnvironments,
  transferSampleEnvironments,
} from './environments';
export {
  assertFinite,
  assertInteger,
  assertKnownOptions,
  FormatError,
  InvalidArgumentError,
  invalidArgument,
  LatticeDiffError,
  NumericalError,
  WorkspaceMemoryError,
} from './errors';
export {
  type CorrelationResult,
  correlations,
  logNormalization,
  logProbabilities,
  marginals,
} from './evaluate';
export {
  type BornMPSFromFactorsOptions,
  type BornMPSFromFactorsResult,
  bornMPSFromFactors,
  type ConstraintAutomaton,
  type FactorNetwork,
  type PairLogWeights,
} from './factor-network';
export { type NegativeLogLikelihoodResult, negativeLogLikelihood } from './likelihood';
export {
  type LQResult,
  lq,
  matmul,
  type QRResult,
  qr,
  type SVDResult,
  type SymmetricEigenResult,
  svd,
  symmetricEigen,
  transpose,
} from './linalg';
export {
  assertMPS,
  indexToConfiguration,
  MPS,
  type MPSKind,
  productState,
  type RandomMPSOptions,
  randomMPS,
  type SiteTensorInput,
  uniformMPS,
} from './mps';
export {
  type ApplyMPOOptions,
  type ApplyMPOResult,
  applyMPO,
  applyProductOperator,
  MPO,
  type MPOTensorInput,
  type OperatorMatrix,
  type ProductOperatorInput,
} from './operators';
export { createSamplerPool, type SamplerPool, type SamplerPoolOptions } from './pool';
export { createRandom, type RandomGenerator, type SeedOrGenerator, toRandom } from './random';
export {
  type ConditionalSampleOptions,
  type ConditionalSampleResult,
  type SampleOptions,
  type SampleResult,
  sample,
  sampleConditional,
  sampleLogProbabilities,
} from './sample';
export {
  type DeserializedMPS,
  deserializeMPS,
  type MetadataValue,
  MPS_FILE_FORMAT,
  MPS_FILE_SUPPORTED_VERSIONS,
  MPS_FILE_VERSION,
  type MPSMetadata,
  type SerializeMPSOptions,
  serializeMPS,
} from './serialize';
export {
  type KernelEngine,
  kernelEngine,
  setKernelEngine,
  wasmKernelsAvailable,
} from './workspace';
