import type { FlagSpec } from '../args';
import { createInstance, JSON_FLAG } from '../common';
import { quote, usage } from '../errors';
import { computeExact } from '../exact-reference';
import { num, printJson, progressEnabled, table } from '../io';
import type { Command } from './types';

export const exactCommand: Command = {
  name: 'exact',
  summary: 'exact reference values (ln Z, observable means) of a model',
  usage: ['exact <model> [model parameters] [--json]'],
  model: 'required',
  flags: [JSON_FLAG],
  details: [
    'Exact means come from the model package (e.g. Ising: column transfer matrix, Ly <= 14;',
    'Fredkin: height environments, N <= 10000); each package sets its own limits. A size beyond',
    'them is an input error naming the parameter (exit 2). On a terminal a line on stderr shows',
    'the time elapsed (and, for the built-in models, a rough estimate of the time it takes).',
  ],
  async run({ choice, parameters, hint, json }) {
    const { model, entry } = choice!;
    const instance = createInstance(model, parameters, hint, choice!.flags);
    if (typeof instance.exactObservables !== 'function') {
      usage(
        `model ${quote(model.id)} has no exact references`,
        'use "latticediff mc" to estimate its observables',
      );
    }
    const outcome = await computeExact(instance, {
      showProgress: progressEnabled(json),
      model: { url: entry.moduleUrl, exportName: await entry.exportName() },
      label: `exact reference of ${model.id}:`,
    });
    if (!outcome.ok) usage(inFlags(outcome.message, model.id, choice!.flags), hint);
    const exact = outcome.exact;
    const observables: Record<string, { mean: number | number[] }> = {};
    for (const spec of instance.observables) {
      const value = exact.means[spec.name];
      if (value === undefined) continue;
      observables[spec.name] = { mean: typeof value === 'number' ? value : Array.from(value) };
    }
    for (const [name, value] of Object.entries(exact.means)) {
      if (!(name in observables))
        observables[name] = { mean: typeof value === 'number' ? value : Array.from(value) };
    }
    if (json) {
      printJson({
        model: model.id,
        parameters: instance.parameters,
        sites: instance.sites,
        logPartitionFunction: exact.logPartitionFunction,
        observables,
        derived: exact.derived ?? {},
      });
      return;
    }
    const rows: string[][] = [];
    for (const [name, { mean }] of Object.entries(observables)) {
      rows.push([
        name,
        typeof mean === 'number' ? num(mean, 10) : `[${mean.length} values, see --json]`,
      ]);
    }
    for (const [name, value] of Object.entries(exact.derived ?? {}))
      rows.push([name, num(value, 10)]);
    rows.push(['logPartitionFunction', num(exact.logPartitionFunction, 10)]);
    const params = Object.entries(instance.parameters)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(10)) : v}`)
      .join(' ');
    process.stdout.write(
      `${model.id} (${params}), ${instance.sites} sites: exact values\n\n${table(['quantity', 'exact'], rows)}\n`,
    );
  },
};

/**
 * A refusal of the model's exact reference in the words of the command line: the library names
 * its own argument and function ("`lx` passed to `isingTransferMatrix` must be ... (got 100)");
 * the user gave a flag (--lx). Other messages are returned unchanged.
 */
export function inFlags(message: string, modelId: string, flags: readonly FlagSpec[]): string {
  const parts = /^invalid argument: `([\w.]+)` passed to `[\w.]+` must be (.*) \(got (.*)\)$/.exec(
    message,
  );
  const flagOf = new Map(
    flags.filter((f) => f.parameter).map((f) => [f.parameter!.name, `--${f.name}`] as const),
  );
  const flag = parts ? flagOf.get(parts[1]!) : undefined;
  if (!parts || flag === undefined) return message;
  // "for ly = 14 and boundary "cylinder"" -> "for --ly 14 and --boundary "cylinder""
  let expected = parts[2]!;
  for (const [name, other] of flagOf) {
    expected = expected.replace(new RegExp(`\\b${name}(?: =)? (?=[\\d"-])`, 'g'), `${other} `);
  }
  return `${flag} ${parts[3]} is beyond the exact reference of ${modelId}: it must be ${expected}`;
}
