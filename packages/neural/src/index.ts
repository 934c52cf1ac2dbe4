export { initBackend, type NeuralBackend, tf } from './backend';
export { type DigitBatch, MADE, type MADEOptions, type NeuralSampleResult } from './made';
export {
  type FreeEnergyBound,
  freeEnergyBound,
  type NLLOptions,
  type ReverseKLOptions,
  type ReverseKLStep,
  trainNLL,
  trainReverseKL,
} from './train';
