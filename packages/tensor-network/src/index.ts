export {
  FormatError,
  InvalidArgumentError,
  LatticeDiffError,
  NumericalError,
} from './errors';
export { createRandom, type RandomGenerator, type SeedOrGenerator } from './random';
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
export { fromDense, toDense } from './dense';
export type { ConfigurationBatch, ConfigurationsInput } from './configurations';
export {
  type CorrelationResult,
  correlations,
  logNormalization,
  logProbabilities,
  marginals,
} from './evaluate';
export {
  type ConditionalSampleOptions,
  type ConditionalSampleResult,
  type SampleOptions,
  type SampleResult,
  sample,
  sampleConditional,
} from './sample';
export { type KernelEngine, kernelEngine, setKernelEngine, wasmKernelsAvailable } from './workspace';
