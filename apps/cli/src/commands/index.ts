/** Every command of the CLI, in the order of the help text. */
import { benchCommand } from './bench';
import { demoCommand } from './demo';
import { exactCommand } from './exact';
import { mcCommand } from './mc';
import { mergeCommand } from './merge';
import { modelsCommand } from './models';
import { sampleCommand } from './sample';
import { trainCommand } from './train';
import type { Command } from './types';

export const COMMANDS: readonly Command[] = [
  modelsCommand,
  exactCommand,
  trainCommand,
  sampleCommand,
  mcCommand,
  mergeCommand,
  benchCommand,
  demoCommand,
];
