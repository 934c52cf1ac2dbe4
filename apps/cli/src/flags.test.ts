/**
 * Issue 15: every flag default is written once, in the flag's spec, and is a value the flag
 * accepts (its type, range and choices), so help text and behaviour cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import { defaultProblem, flagHelp, flagValue } from './args';
import { COMMANDS } from './commands/index';
import { isSampleFileHead } from './commands/sample';

describe('flag defaults', () => {
  const flags = COMMANDS.flatMap((command) =>
    command.flags.map((spec) => ({ command: command.name, spec })),
  );

  it('are values their flags accept, shown in help', () => {
    const withDefault = flags.filter(({ spec }) => spec.default !== undefined);
    // seed, workers, chains, steps, noise times, bond dimension, formats, networks, ...
    expect(withDefault.length).toBeGreaterThan(20);
    for (const { command, spec } of withDefault) {
      expect(defaultProblem(spec), `${command} --${spec.name}`).toBeUndefined();
      const help = flagHelp([spec]).join(' ');
      expect(help, `${command} --${spec.name}`).toContain(
        `default ${spec.defaultText ?? String(spec.default)}`,
      );
      expect(flagValue({}, spec)).toBe(spec.default);
      expect(flagValue({ [spec.name]: 'given' }, spec)).toBe('given');
    }
  });

  it('refuses a default outside the range, of the wrong type or not among the choices', () => {
    expect(
      defaultProblem({ name: 'n', type: 'integer', description: '', minimum: 1, default: 0 }),
    ).toMatch(/invalid value for --n: 0/);
    expect(defaultProblem({ name: 'n', type: 'integer', description: '', default: 1.5 })).toMatch(
      /invalid value for --n/,
    );
    expect(defaultProblem({ name: 'n', type: 'number', description: '', default: '2' })).toMatch(
      /a string for a flag of type number/,
    );
    expect(
      defaultProblem({ name: 'k', type: 'choice', choices: ['a'], description: '', default: 'b' }),
    ).toMatch(/invalid value for --k: "b"/);
    expect(defaultProblem({ name: 'b', type: 'boolean', description: '', default: 1 })).toBe(
      'not a boolean',
    );
  });
});

describe('sample --out: which existing files it replaces', () => {
  it('recognises its own CSV header (also when longer than the bytes read) and JSON lines', () => {
    const header = Array.from({ length: 5000 }, (_, i) => i).join(',');
    expect(isSampleFileHead('csv', '0,1,2\n1,0,1\n')).toBe(true);
    // a 5,000-site header fills the 4,096 bytes read, ending within a number or after a comma
    expect(isSampleFileHead('csv', header.slice(0, 4096))).toBe(true);
    expect(isSampleFileHead('csv', '0,1,2,')).toBe(true);
    expect(isSampleFileHead('csv', 'my,precious,data\n')).toBe(false);
    expect(isSampleFileHead('csv', '0,1,foo\n')).toBe(false);
    expect(isSampleFileHead('jsonl', '{"x":[0,1],"logProbability":-1}\n')).toBe(true);
    expect(isSampleFileHead('jsonl', '{"format":"latticediff.mps"')).toBe(false);
  });
});
