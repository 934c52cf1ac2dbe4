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
