/**
 * Generators of this repository (`pnpm turbo gen <name>`, plop API through @turbo/gen).
 *
 * lattice-model: scaffolds packages/model-<id> (a lattice model that builds and passes the
 * conformance kit at once, with placeholder physics marked TODO(<id>)), its changeset and its docs
 * page, and adds the package to the root devDependencies so that the CLI finds it.
 *
 *     pnpm turbo gen lattice-model
 *     pnpm turbo gen lattice-model --args <id> "<Display name>" "<one-line description>"
 */
import { join } from 'node:path';
import type { PlopTypes } from '@turbo/gen';
import {
  type LatticeModelAnswers,
  scaffoldLatticeModel,
  validateModelId,
  validateOneLine,
} from './src/lattice-model';

export default function generator(plop: PlopTypes.NodePlopAPI): void {
  const root = plop.getDestBasePath();
  plop.setGenerator('lattice-model', {
    description:
      'A new lattice model package packages/model-<id> (contract v1, conformance test, README, changeset, docs page)',
    prompts: [
      {
        type: 'input',
        name: 'id',
        message: 'Model id (lowercase letters, digits, hyphens; e.g. potts):',
        validate: (value: string) => validateModelId(value, root),
      },
      {
        type: 'input',
        name: 'name',
        message: 'Display name (e.g. q-state Potts model):',
        validate: (value: string) => validateOneLine('display name', value, 80),
      },
      {
        type: 'input',
        name: 'description',
        message: 'One-line description (for listings and --help):',
        validate: (value: string) => validateOneLine('description', value, 200),
      },
    ],
    actions: [
      (answers) => {
        const result = scaffoldLatticeModel({
          ...(answers as LatticeModelAnswers),
          root,
          templates: join(root, 'turbo', 'generators', 'templates', 'lattice-model'),
        });
        return [
          'wrote:',
          ...result.files.map((file) => `  ${file}`),
          'next steps:',
          ...result.nextSteps.map((step, k) => `  ${k + 1}. ${step}`),
        ].join('\n');
      },
    ],
  });
}
