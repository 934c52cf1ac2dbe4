export type { ConfigurationBatch, ConfigurationsInput } from './configurations';
export { fromDense, toDense } from './dense';
export {
  FormatError,
  InvalidArgumentError,
  LatticeDiffError,
  NumericalError,
} from './errors';
export {
  type CorrelationResult,
  correlations,
  logNormalization,
  logProbabilities,
  marginals,
} from './evaluate';
export {
  indexToConfiguration,
  MPS,
  type MPSKind,
  productState,
  type RandomMPSOptions,
  randomMPS,
  type SiteTensorInput,
  uniformMPS,
} from './mps';
export { createSamplerPool, type SamplerPool, type SamplerPoolOptions } from './pool';
export { createRandom, type RandomGenerator, type SeedOrGenerator } from './random';
export {
  type ConditionalSampleOptions,
  type ConditionalSampleResult,
  type SampleOptions,
  type SampleResult,
  sample,
  sampleConditional,
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
