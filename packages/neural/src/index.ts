export { ADAM_DEFAULTS, type AdamState } from './adam';
export { initBackend, type NeuralBackend, tf } from './backend';
export {
  MADE_FILE_FORMAT,
  MADE_FILE_SUPPORTED_VERSIONS,
  MADE_FILE_VERSION,
  type MADECheckpoint,
  type ReverseKLTrainingState,
} from './checkpoint';
export {
  type NetworkLearner,
  type NLLLearnerFactory,
  type NLLLearnerFingerprint,
  type NLLLearnerNetwork,
  type NLLLearnerOptions,
  nllLearner,
} from './learner';
export { type DigitBatch, MADE, type MADEOptions, type NeuralSampleResult } from './made';
export type { AutoregressiveNetwork } from './network';
export { PixelCNN, type PixelCNNGeometry, type PixelCNNOptions } from './pixelcnn';
export {
  PIXELCNN_FILE_FORMAT,
  PIXELCNN_FILE_SUPPORTED_VERSIONS,
  PIXELCNN_FILE_VERSION,
  type PixelCNNCheckpoint,
} from './pixelcnn-checkpoint';
export {
  type FreeEnergyBound,
  freeEnergyBound,
  type NLLOptions,
  type ReverseKLOptions,
  type ReverseKLStep,
  ReverseKLTrainer,
  type ReverseKLTrainerOptions,
  type TrainingTarget,
  trainNLL,
  trainReverseKL,
} from './train';
