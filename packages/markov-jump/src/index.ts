export {
  type AncestralDenoiseOptions,
  type DenoiseMethod,
  type DenoiseOptions,
  type DenoiseResult,
  denoise,
  denoiseAncestral,
  denoiseInPool,
  type GenerateOptions,
  type GenerateResult,
  generate,
} from './denoise';
export { matrixExponential } from './expm';
export { type AddNoiseOptions, addNoise, noisedMPS, type StateBatch } from './forward';
export {
  maskNoise,
  type NoiseKind,
  type NoiseProcess,
  propagator,
  type RateMatrixNoiseOptions,
  type RateNoiseOptions,
  rateMatrixNoise,
  uniformNoise,
} from './noise';
export {
  type NoisedEvaluationOptions,
  noisedLogProbabilities,
  type ProbabilityRatiosResult,
  probabilityRatios,
  type ReverseRatesResult,
  reverseRates,
} from './reverse-rates';
export {
  geometricSchedule,
  linearSchedule,
  scheduleTimes,
  type TimeSchedule,
} from './schedule';
export {
  type SimulateReverseOptions,
  type SimulateReverseResult,
  simulateReverse,
  type TauLeapingOptions,
  tauLeaping,
} from './simulate';
