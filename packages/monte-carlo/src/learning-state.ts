/**
 * The learning loop's resumable state, format `latticediff.learning` version 1 (see FORMAT.md in
 * this package): everything a round needs to continue exactly as an uninterrupted run would.
 * {@link LearningState.toJSON} gives the plain JSON object (so `JSON.stringify(state)` is the
 * file's text), {@link LearningState.fromJSON} reads it back from the text or the object and
 * refuses anything else with a {@link FormatError} naming the field.
 */
import { FormatError, LatticeDiffError } from '@latticediff/tensor-network';
import { decodeDigits, encodeDigits } from '@latticediff/tensor-network/internal';
import type { RoundReport } from './learning-loop';

export const LEARNING_STATE_FORMAT = 'latticediff.learning';
export const LEARNING_STATE_VERSION = 1;

/** The fields of a {@link LearningState}. */
export interface LearningStateFields {
  /** What the run is: the learning loop's resolved options, as canonical JSON text. */
  fingerprint: string;
  /** Rounds done (the next round to run has this index). */
  roundsCompleted: number;
  /**
   * The learner: an `MPSTrainer` state (Adam), a serialized MPS (sweep training), or the
   * `save()` text of a custom learner (the loop's `learner` option).
   */
  trainer: string;
  /** The chains' current configurations, chain after chain. */
  chainStates: Int32Array;
  /** The configurations of the last rounds that the next training step replays, oldest first. */
  replay: Int32Array[];
  /** The reports of the rounds done. */
  reports: RoundReport[];
  /**
   * With `overlapRounds`: a `latticediff.mps` file of the proposal the next round's chains use
   * (the one before the last training). Absent otherwise.
   */
  chainProposal?: string;
  /**
   * The training recipe of a run started by `runOrResume` (stored as `trainingRun`, first in the
   * file): the one record a resume is checked against. Absent for a direct `learnByMonteCarlo`.
   */
  recipe?: unknown;
}

/** The JSON object of a {@link LearningState} (the keys in this order). */
export interface LearningStateJSON {
  trainingRun?: unknown;
  format: typeof LEARNING_STATE_FORMAT;
  version: typeof LEARNING_STATE_VERSION;
  fingerprint: string;
  roundsCompleted: number;
  trainer: string;
  /** Comma-separated integers. */
  chainStates: string;
  /** Base64, one byte per digit, per round. */
  replay: string[];
  reports: RoundReport[];
  chainProposal?: string;
}

/** A learning loop's state between rounds (see the module comment). */
export class LearningState implements LearningStateFields {
  readonly fingerprint: string;
  readonly roundsCompleted: number;
  readonly trainer: string;
  readonly chainStates: Int32Array;
  readonly replay: Int32Array[];
  readonly reports: RoundReport[];
  readonly chainProposal?: string;
  readonly recipe?: unknown;

  constructor(fields: LearningStateFields) {
    this.fingerprint = fields.fingerprint;
    this.roundsCompleted = fields.roundsCompleted;
    this.trainer = fields.trainer;
    this.chainStates = fields.chainStates;
    this.replay = fields.replay;
    this.reports = fields.reports;
    if (fields.chainProposal !== undefined) this.chainProposal = fields.chainProposal;
    if (fields.recipe !== undefined) this.recipe = fields.recipe;
  }

  toJSON(): LearningStateJSON {
    return {
      ...(this.recipe === undefined ? {} : { trainingRun: this.recipe }),
      format: LEARNING_STATE_FORMAT,
      version: LEARNING_STATE_VERSION,
      fingerprint: this.fingerprint,
      roundsCompleted: this.roundsCompleted,
      trainer: this.trainer,
      chainStates: Array.from(this.chainStates).join(','),
      replay: this.replay.map((digits) => encodeDigits(digits)),
      reports: this.reports,
      ...(this.chainProposal === undefined ? {} : { chainProposal: this.chainProposal }),
    };
  }

  /**
   * Reads a state from its text or its JSON object. Checks the format, the version and the type
   * of every field; whether the state belongs to a given run is the caller's check (its
   * fingerprint or recipe).
   */
  static fromJSON(value: string | unknown): LearningState {
    let object: unknown = value;
    if (typeof value === 'string') {
      try {
        object = JSON.parse(value);
      } catch (cause) {
        throw new FormatError('state', 'not JSON text', { cause });
      }
    }
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      throw new FormatError('state', 'not a JSON object');
    }
    const o = object as Record<string, unknown>;
    if (o.format !== LEARNING_STATE_FORMAT) {
      throw new FormatError(
        'format',
        `expected "${LEARNING_STATE_FORMAT}", got ${JSON.stringify(o.format) ?? 'nothing'}`,
      );
    }
    if (o.version !== LEARNING_STATE_VERSION) {
      throw new FormatError(
        'version',
        `expected ${LEARNING_STATE_VERSION}, got ${JSON.stringify(o.version) ?? 'nothing'}`,
      );
    }
    const text = (field: string): string => {
      if (typeof o[field] !== 'string') throw new FormatError(field, 'expected a string');
      return o[field] as string;
    };
    const roundsCompleted = o.roundsCompleted;
    if (!Number.isSafeInteger(roundsCompleted) || (roundsCompleted as number) < 0) {
      throw new FormatError('roundsCompleted', 'expected a non-negative integer');
    }
    const chainText = text('chainStates');
    const parts = chainText === '' ? [] : chainText.split(',');
    if (parts.some((part) => !/^\d{1,9}$/.test(part))) {
      throw new FormatError('chainStates', 'expected comma-separated non-negative integers');
    }
    const chainStates = Int32Array.from(parts, Number);
    const replayValue = o.replay ?? [];
    if (!Array.isArray(replayValue) || replayValue.some((r) => typeof r !== 'string')) {
      throw new FormatError('replay', 'expected an array of base64 strings');
    }
    let replay: Int32Array[];
    try {
      replay = (replayValue as string[]).map((text) => decodeDigits(text));
    } catch (cause) {
      if (LatticeDiffError.isInstance(cause)) throw cause;
      throw new FormatError('replay', 'expected an array of base64 strings', { cause });
    }
    if (!Array.isArray(o.reports)) throw new FormatError('reports', 'expected an array');
    if (o.chainProposal !== undefined && typeof o.chainProposal !== 'string') {
      throw new FormatError('chainProposal', 'expected a string (a latticediff.mps file)');
    }
    return new LearningState({
      fingerprint: text('fingerprint'),
      roundsCompleted: roundsCompleted as number,
      trainer: text('trainer'),
      chainStates,
      replay,
      reports: o.reports as RoundReport[],
      ...(o.chainProposal === undefined ? {} : { chainProposal: o.chainProposal as string }),
      ...(o.trainingRun === undefined ? {} : { recipe: o.trainingRun }),
    });
  }
}
