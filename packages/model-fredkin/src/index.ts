export {
  type FredkinExactMPS,
  type FredkinExactResult,
  type FredkinSize,
  fredkinExact,
  fredkinExactMPS,
  fredkinMPSEntries,
  MAX_EXACT_SITES,
  MAX_MPS_ENTRIES,
  type SampleFredkinOptions,
  sampleFredkin,
} from './exact';
export {
  type FredkinParameters,
  fredkinModel,
  fredkinParameterSchema,
} from './fredkin';
export { heightProfile, heightSum, isDyckPath } from './heights';
