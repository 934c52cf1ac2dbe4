import { describeParameterSpec } from '@latticediff/lattice';
import { flagHelp } from '../args';
import { JSON_FLAG, modelParameterFlags } from '../common';
import { oneLine } from '../errors';
import { printJson } from '../io';
import { discoverModels } from '../registry';
import type { Command } from './types';

export const DISCOVERY_HELP = [
  'Models: @latticediff/model-ising and @latticediff/model-fredkin are built in. Any other',
  'installed package named @latticediff/model-<id>, latticediff-model-<id> or',
  '@<scope>/latticediff-model-<id> in a node_modules directory of the current directory, of the',
  'CLI, or of their parents is a model too; its main export includes a LatticeModel',
  '(specificationVersion "v1"), or package.json names it: "latticediff": { "model": "exportName" }.',
  'Packages are imported only when their model is used.',
];

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list the installed lattice models and their parameters',
  usage: ['models [--json]'],
  model: 'none',
  flags: [JSON_FLAG],
  details: DISCOVERY_HELP,
  async run({ json }) {
    const entries = discoverModels();
    const listed = [];
    for (const entry of entries) {
      const base = {
        id: entry.id,
        package: entry.packageName,
        version: entry.version ?? null,
        builtin: entry.builtin,
      };
      try {
        const model = await entry.load();
        const flags = modelParameterFlags(model, []);
        const parameters: Record<string, unknown> = {};
        for (const flag of flags) {
          const { name, spec } = flag.parameter!;
          parameters[name] = {
            flag: `--${flag.name}`,
            type: spec.type,
            default: spec.default ?? null,
            expected: describeParameterSpec(spec),
            description: spec.description,
            ...(spec.symbol ? { symbol: spec.symbol } : {}),
            ...(spec.type === 'choice' ? { choices: spec.choices } : {}),
          };
        }
        let observables: string[] | null = null;
        try {
          observables = model.create({}).observables.map((o) => o.name);
        } catch {
          observables = null;
        }
        listed.push({
          ...base,
          id: model.id,
          description: model.description,
          parameters,
          observables,
          flags,
        });
      } catch (error) {
        listed.push({ ...base, error: oneLine((error as Error).message ?? String(error)) });
      }
    }
    if (json) {
      printJson({
        models: listed.map((m) => {
          const { flags: _flags, ...rest } = m as typeof m & { flags?: unknown };
          return rest;
        }),
      });
      return;
    }
    const lines: string[] = [];
    for (const m of listed) {
      const where = `${m.package}${m.version ? ` ${m.version}` : ''}${m.builtin ? ', built in' : ''}`;
      lines.push(`${m.id}  (${where})`);
      if ('error' in m) {
        lines.push(`  cannot load: ${m.error}`, '');
        continue;
      }
      lines.push(`  ${m.description}`);
      lines.push('  parameters:');
      lines.push(...flagHelp(m.flags).map((l) => `  ${l}`));
      if (m.observables) lines.push(`  observables: ${m.observables.join(', ')}`);
      lines.push('');
    }
    process.stdout.write(`${lines.join('\n')}`);
  },
};
