/**
 * The `latticediff` command. Exit codes: 0 success, 1 runtime failure, 2 usage or input error
 * (one line on stderr naming the problem and the value, no stack trace).
 */
import { readFileSync } from 'node:fs';
import { LatticeDiffError, NumericalError } from '@latticediff/tensor-network';
import { type FlagSpec, flagHelp, HELP_FLAG, readFlags, tokenize } from './args';
import { COMMANDS } from './commands/index';
import { DISCOVERY_HELP } from './commands/models';
import type { Command } from './commands/types';
import { givenParameters, type ModelChoice, modelParameterFlags } from './common';
import {
  EXIT_INTERNAL,
  EXIT_USAGE,
  OutputError,
  oneLine,
  quote,
  suggest,
  UsageError,
  usage,
} from './errors';
import { discoverModels, loadModel } from './registry';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The exit codes; only train resumes after an interruption, so only its help says so. */
function exitCodesHelp(command?: Command): string[] {
  return [
    'Exit codes: 0 success, 1 runtime failure (internal, numerical or file-system error),',
    `2 usage or input error, 130/143 interrupted by SIGINT/SIGTERM${
      command?.name === 'train' ? ' (rerun train to resume)' : ''
    }.`,
  ];
}

function globalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'latticediff: tensor-network discrete diffusion models for lattice systems',
    '',
    'Usage:',
    ...COMMANDS.flatMap((c) => c.usage.map((u) => `  latticediff ${u}`)),
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "latticediff <command> --help" for a command\'s flags, and',
    '"latticediff <command> <model> --help" for the model parameters as well.',
    '',
    ...DISCOVERY_HELP,
    '',
    ...exitCodesHelp(),
    'Set LATTICEDIFF_DEBUG=1 to see stack traces of internal errors.',
    '',
  ].join('\n');
}

async function commandHelp(command: Command, choice: ModelChoice | undefined): Promise<string> {
  const lines = [
    `latticediff ${command.name}: ${command.summary}`,
    '',
    'Usage:',
    ...command.usage.map((u) => `  latticediff ${u}`),
    '',
    'Flags:',
    ...flagHelp([...command.flags, HELP_FLAG]),
  ];
  if (choice) {
    lines.push(
      '',
      `Model parameters of ${choice.model.id} (${choice.model.description}):`,
      ...flagHelp(choice.flags),
    );
  } else if (command.model !== 'none') {
    lines.push('', 'Models and their parameter flags:');
    for (const entry of discoverModels()) {
      try {
        const model = await entry.load();
        const flags = modelParameterFlags(model, command.flags);
        lines.push(`  ${model.id}: ${flags.map((f) => `--${f.name}`).join(' ')}`);
      } catch {
        lines.push(`  ${entry.id}: (cannot load ${entry.packageName})`);
      }
    }
    lines.push(`Run "latticediff ${command.name} <model> --help" for their meaning and ranges.`);
  }
  if (command.details) lines.push('', ...command.details);
  lines.push('', ...exitCodesHelp(command), '');
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv[1] : undefined;
    const command = topic === undefined ? undefined : COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && !command) {
      usage(`unknown command ${quote(topic)}`, 'run "latticediff --help" for the commands');
    }
    process.stdout.write(command ? await commandHelp(command, undefined) : globalHelp());
    return;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`${version()}\n`);
    return;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    const close = suggest(
      first,
      COMMANDS.map((c) => c.name),
    );
    if (first.startsWith('-')) {
      usage(
        `unknown flag ${quote(first)} before the command`,
        'run "latticediff --help" for the commands',
      );
    }
    usage(
      `unknown command ${quote(first)}${close ? ` (did you mean ${close}?)` : ''}`,
      'run "latticediff --help" for the commands',
    );
  }
  const booleans = new Set(['help', 'json']);
  for (const f of command.flags) if (f.type === 'boolean') booleans.add(f.name);
  const tokens = tokenize(argv.slice(1), booleans);

  let choice: ModelChoice | undefined;
  const positionals = [...tokens.positionals];
  if (command.model !== 'none' && positionals.length > 0) {
    const id = positionals.shift()!;
    const { entry, model } = await loadModel(id);
    choice = { entry, model, flags: modelParameterFlags(model, command.flags) };
  }
  if (tokens.flags.has('help')) {
    process.stdout.write(await commandHelp(command, choice));
    return;
  }
  const hint = `run "latticediff ${command.name}${choice ? ` ${choice.model.id}` : ''} --help" for the ${
    command.model === 'none' ? 'flags' : 'flags and model parameters'
  }`;
  if (positionals.length > 0 && !command.files) {
    throw new UsageError(`unexpected argument ${quote(positionals[0]!)}`, hint);
  }
  if (command.model !== 'none' && !choice) {
    // `exact --bogus ising`: the unknown flag took the model as its value
    const ids = discoverModels().map((e) => e.id);
    const known = new Set([...command.flags.map((f) => f.name), 'help']);
    for (const [name, { text }] of tokens.flags) {
      if (!known.has(name) && typeof text === 'string' && ids.includes(text)) {
        throw new UsageError(`unknown flag --${name}`, hint);
      }
    }
  }
  if (command.model !== 'none' && !choice) {
    // `mc --checkpoint f.mps --lx 5`: a model parameter flag without the model named
    const known = new Set([...command.flags.map((f) => f.name), 'help']);
    const unknown = [...tokens.flags.keys()].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      const owners = await modelsWithFlag(unknown[0]!, command);
      if (owners.length > 0) {
        const example = ['latticediff', command.name, owners[0]!, ...argv.slice(1)]
          .map((a) => (/^[\w./:=-]+$/.test(a) ? a : JSON.stringify(a)))
          .join(' ');
        throw new UsageError(
          `unknown flag --${unknown[0]}: it is a parameter of ${owners.join(', ')}, and model parameter flags need the model named first, e.g. "${example}"`,
          hint,
        );
      }
    }
  }
  if (command.model === 'required' && !choice) {
    const ids = discoverModels().map((e) => e.id);
    throw new UsageError(
      `missing <model> for "latticediff ${command.name}" (installed models: ${ids.join(', ')})`,
      hint,
    );
  }
  const specs: FlagSpec[] = [...command.flags, HELP_FLAG, ...(choice?.flags ?? [])];
  const values = readFlags(tokens, specs, hint);
  const parameters = choice ? givenParameters(choice, values) : {};
  await command.run({
    values,
    choice,
    parameters,
    hint,
    json: values.json === true,
    files: command.files ? positionals : [],
  });
}

/** The ids of the installed models that have a parameter flag `--name` for `command`. */
async function modelsWithFlag(name: string, command: Command): Promise<string[]> {
  const owners: string[] = [];
  for (const entry of discoverModels()) {
    try {
      const model = await entry.load();
      if (modelParameterFlags(model, command.flags).some((f) => f.name === name)) {
        owners.push(model.id);
      }
    } catch {
      // a package that does not load is reported when its model is used
    }
  }
  return owners;
}

function report(error: unknown): number {
  const debug = process.env.LATTICEDIFF_DEBUG === '1';
  if (error instanceof UsageError) {
    process.stderr.write(
      `latticediff: ${oneLine(error.message)}${error.hint ? `; ${error.hint}` : ''}\n`,
    );
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_USAGE;
  }
  if (error instanceof OutputError) {
    // a file-system failure while an output was written, named by its flag and path
    process.stderr.write(`latticediff: ${oneLine(error.message)}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_INTERNAL;
  }
  if (NumericalError.isInstance(error)) {
    // the input was valid but the computation failed (e.g. training diverged): a runtime failure
    process.stderr.write(
      `latticediff: numerical failure: ${oneLine(error.message)}${debug ? '' : ' (set LATTICEDIFF_DEBUG=1 for details)'}\n`,
    );
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_INTERNAL;
  }
  if (LatticeDiffError.isInstance(error)) {
    process.stderr.write(`latticediff: ${oneLine(error.message)}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_USAGE;
  }
  const system = error as NodeJS.ErrnoException;
  if (
    error instanceof Error &&
    typeof system.code === 'string' &&
    typeof system.syscall === 'string'
  ) {
    // a failure of the file system or the OS (disk full, permissions changed, I/O error)
    process.stderr.write(
      `latticediff: ${system.syscall} failed: ${oneLine(error.message)}${debug ? '' : ' (set LATTICEDIFF_DEBUG=1 for details)'}\n`,
    );
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_INTERNAL;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `latticediff: internal error: ${oneLine(message)}${debug ? '' : ' (set LATTICEDIFF_DEBUG=1 for details)'}\n`,
  );
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return EXIT_INTERNAL;
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // a closed pipe (latticediff sample ... | head) is not an error of ours
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
