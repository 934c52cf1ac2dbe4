export {
  type ChainRunner,
  type IndependenceProposal,
  logAcceptance,
  type ProposalScheme,
  type RunChainsOptions,
  type RunChainsResult,
  runChains,
} from './chains';
export {
  type RunChainsInSegmentsOptions,
  runChainsInSegments,
  type SegmentProgress,
} from './chains-segments';
export type { AcceptanceAccumulator } from './diagnostics-acceptance';
export {
  type AcceptanceCounts,
  type AcceptanceSummary,
  acceptanceSummary,
  createAcceptanceCounts,
  recordProposals,
} from './diagnostics-acceptance';
export type { BinLevelAccumulator, ObservableAccumulator } from './diagnostics-accumulator';
export {
  type AutocorrelationOptions,
  type AutocorrelationResult,
  type AutomaticWindowOptions,
  type AutomaticWindowResult,
  autocorrelation,
  automaticWindow,
  type IntegratedAutocorrelationTimeOptions,
  type IntegratedAutocorrelationTimeResult,
  integratedAutocorrelationTime,
  madrasSokalError,
} from './diagnostics-autocorrelation';
export {
  type BinningLevel,
  type BinningOptions,
  type BinningPlateau,
  type BinningResult,
  binningAnalysis,
} from './diagnostics-binning';
export {
  type JackknifeOptions,
  type JackknifeResult,
  jackknife,
} from './diagnostics-jackknife';
export { type RHatResult, rHat } from './diagnostics-rhat';
export {
  type ChainsSummary,
  type CreateSummaryInput,
  createSummary,
  type FinalizeSummaryOptions,
  finalizeSummary,
  type MergeableSummary,
  mergeSummaries,
  type ObservableSummary,
  SUMMARY_FORMAT,
  SUMMARY_VERSION,
  type SummarizeOptions,
  type SummaryResult,
  summarize,
  summarizeChains,
} from './diagnostics-summary';
export type { AutocorrelationMethod, Chains, Series } from './diagnostics-validate';
export { CheckpointMismatchError } from './errors';
export { MPSTrainer, type Parametrization, type StepReport, type TrainerOptions } from './learn';
export {
  annealingPath,
  type CheckpointStore,
  type ConfigurationRows,
  type LearnerLoopOptions,
  type LearnerLoopResult,
  type LearnerTrainingContext,
  type LearningLoopOptions,
  type LearningResult,
  learnByMonteCarlo,
  type MPSLearnerOption,
  type ProposalLearner,
  type ProposalLearnerFactory,
  type RoundReport,
} from './learning-loop';
export {
  LEARNING_STATE_FORMAT,
  LEARNING_STATE_VERSION,
  LearningState,
  type LearningStateFields,
  type LearningStateJSON,
} from './learning-state';
export {
  type ProposalQuality,
  type ProposalQualityOptions,
  proposalQuality,
} from './proposal-quality';
export type { DoubleDoubleArray } from './stats-exact';
export {
  type InitialBornMPSOptions,
  initialBornMPS,
  type SweepInfo,
  type SweepTrainingData,
  type SweepTrainingOptions,
  type SweepTrainingResult,
  trainBornSweeps,
} from './sweep-training';
export {
  type ThermodynamicPathOptions,
  type ThermodynamicPathResult,
  thermodynamicPath,
} from './thermodynamic-path';
export {
  checkTrainingRecipe,
  PILOT_GRID_STEP,
  PILOT_MAX_GRID_POINTS,
  type RunOrResumeOptions,
  type RunOrResumeResult,
  recipeLearningOptions,
  recipePath,
  runOrResume,
  type TrainingRecipe,
  trainingMethod,
} from './training-recipe';
