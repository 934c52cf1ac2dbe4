import type { ExactObservables } from '@latticediff/lattice';
import { finalizeSummary, mergeSummaries } from '@latticediff/monte-carlo';
import { JSON_FLAG } from '../common';
import { usage } from '../errors';
import { computeExact, exactSkipReason } from '../exact-reference';
import { formatSeconds, num, printJson, progressEnabled } from '../io';
import { loadModel } from '../registry';
import { checkShardSet, readShardFile } from '../shards';
import { estimates, estimatesTable, monteCarloJson, reliabilityWarnings } from './mc-render';
import type { MonteCarloResult, SchemeName } from './mc-run';
import { parametersText } from './train-render';
import type { Command } from './types';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'Merge the shard files of "mc --shard K/N" into the estimates of the whole run',
  usage: ['merge FILE... [--no-exact] [--json]'],
  model: 'none',
  files: true,
  flags: [
    {
      name: 'no-exact',
      type: 'boolean',
      description: 'do not compute the exact reference (no exact values in the table or JSON)',
    },
    JSON_FLAG,
  ],
  details: [
    'Reads the shard files 0..N-1 of one run (any order) and prints the same estimates table',
    'and JSON as "latticediff mc" for all their chains. The merge is exact (the summaries hold',
    'exact sums), so merging N local or Wolff shards of C chains gives, to rounding, mc with',
    'N*C chains and the same seed. It refuses, naming the file: files that are not shard files or',
    'are corrupt, shards of different runs or checkpoints, an index given twice, and missing',
    'indices. It writes nothing. seconds and ESS/s are summed over the shards (compute time).',
  ],
  async run({ values, files, json }) {
    if (files.length === 0) {
      usage(
        'missing shard files for "latticediff merge"',
        'e.g. latticediff merge mc-shard-*.json',
      );
    }
    const shards = checkShardSet(files.map((path) => ({ path, file: readShardFile(path) })));
    const run = shards[0]!.run;
    const summary = mergeSummaries(...shards.map((s) => s.summary));
    const merged = finalizeSummary(summary);
    const { model } = await loadModel(run.model);
    let instance: ReturnType<typeof model.create>;
    try {
      instance = model.create(run.parameters);
    } catch (error) {
      usage(
        `the shards' model ${run.model} refuses their parameters (${JSON.stringify(run.parameters)}): ${(error as Error).message}`,
      );
    }
    // the exact reference, as mc computes it (skipped when estimated to be slow)
    let exact: ExactObservables | undefined;
    let skipReason: string | undefined;
    if (values['no-exact'] !== true && typeof instance.exactObservables === 'function') {
      skipReason = await exactSkipReason(instance);
      if (skipReason === undefined) {
        const outcome = await computeExact(instance, {
          showProgress: progressEnabled(json),
          label: `exact reference of ${instance.modelId}:`,
        });
        if (outcome.ok) exact = outcome.exact;
      } else {
        process.stderr.write(
          `latticediff: note: skipping the exact reference of ${instance.modelId}: ${skipReason}; give --no-exact to skip it without this note\n`,
        );
      }
    }
    const seconds = merged.elapsedSeconds ?? Number.NaN;
    // in the model's display order, as mc shows them
    const names = instance.observables
      .map((o) => o.name)
      .filter((name) => merged.observables[name] !== undefined);
    const { observables, effectiveSampleSize } = estimates(names, merged.observables, exact);
    const acceptance = merged.acceptance;
    const result: MonteCarloResult = {
      scheme: run.scheme as SchemeName,
      noiseTime: run.noiseTime ?? undefined,
      localSweeps: run.localSweeps,
      chains: run.chains * shards.length,
      steps: run.steps,
      burnIn: run.burnIn,
      acceptanceRate:
        acceptance !== undefined && acceptance.proposed > 0
          ? acceptance.accepted / acceptance.proposed
          : 0,
      seconds,
      effectiveSampleSize,
      essPerSecond: effectiveSampleSize / seconds,
      observables,
      finalStates: new Int32Array(0),
      summary,
    };
    if (json) {
      printJson(
        monteCarloJson(instance, result, {
          seed: run.seed,
          shards: shards.length,
          files: [...files],
          exactReference:
            values['no-exact'] === true
              ? 'not computed (--no-exact)'
              : skipReason !== undefined
                ? `skipped: ${skipReason}`
                : exact !== undefined
                  ? 'computed'
                  : 'none',
        }),
      );
      return;
    }
    process.stdout.write(
      `${[
        `${instance.modelId} (${parametersText(instance.parameters)}), scheme ${run.scheme}, merged from ${shards.length} shard${shards.length > 1 ? 's' : ''} (seed ${run.seed})`,
        `${result.chains} chains x ${result.steps} steps (+${result.burnIn} burn-in), ${formatSeconds(seconds)} of compute summed over the shards, acceptance ${num(result.acceptanceRate, 4)}, ESS ${num(effectiveSampleSize, 1)} (${num(result.essPerSecond, 1)}/s)`,
        '',
        estimatesTable(result),
      ].join('\n')}\n`,
    );
    for (const warning of reliabilityWarnings(result)) {
      process.stderr.write(`latticediff: warning: ${warning}\n`);
    }
  },
};
