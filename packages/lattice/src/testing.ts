/**
 * The conformance kit: `describeLatticeModel(model, { paramGrid })` registers vitest suites that
 * check everything the contract promises. Entry `@latticediff/lattice/testing`; it imports vitest,
 * which is therefore a peer dependency of this entry only.
 */
import {
  createRandom,
  InvalidArgumentError,
  logProbabilities,
  type RandomGenerator,
} from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import type {
  Configuration,
  LatticeModel,
  LatticeModelInstance,
  ParameterSpec,
  ParameterValues,
} from './contract';
import {
  configurationIndex,
  type EnumerationResult,
  enumerateConfigurations,
  exactByEnumeration,
} from './enumerate';
import { assertKnownOptions, invalidArgument } from './errors';
import { mpsLogNormalization } from './mps-evaluate';
import { describeParameterSpec } from './parameters';
import { physicsBornMPS } from './physics-mps';
import { applySymmetry, checkSymmetry } from './symmetries';
import {
  assert,
  checkClusterMoveInvariance,
  checkExactReferencesAtPoint,
  checkMovesOnViews,
  checkObserveRows,
  copyOf,
  expectClose,
  FLOAT64_TOLERANCE,
  sameDigits,
} from './testing-checks';

export { mpsLogNormalization, mpsLogValue } from './mps-evaluate';
export { FLOAT64_TOLERANCE };

/** A bad parameter set and the parameter its error must name. */
export interface InvalidParameterCase {
  /** Parameters passed to `create` (merged over the first entry of the grid). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** The parameter the InvalidArgumentError must name. */
  readonly argument: string;
  /** When given, the error must come from this call instead of `create`. */
  readonly call?: 'exactMPS' | 'exactObservables';
}

/** Options of {@link describeLatticeModel}. */
export interface DescribeLatticeModelOptions<P extends ParameterValues = ParameterValues> {
  /** Parameter sets to check (missing entries take their defaults). */
  readonly paramGrid: readonly Readonly<Partial<P>>[];
  /**
   * An independent, straightforward E(x) (+Infinity when not allowed), used as the brute-force
   * reference for `energy`. Strongly recommended.
   */
  readonly referenceEnergy?: (parameters: P, x: Configuration) => number;
  /** An independent check of the hard constraints. */
  readonly referenceAllowed?: (parameters: P, x: Configuration) => boolean;
  /** Enumerate all configurations when N <= this and d^N <= 2^20 (default 14). */
  readonly maxEnumerationSites?: number;
  /** Steps of the random walks used above the enumeration limit (default 300). */
  readonly walkSteps?: number;
  /** Model-specific bad inputs (beyond those derived from the schema). */
  readonly invalidParameters?: readonly InvalidParameterCase[];
  /** Seed of the kit's random walks (default 1). */
  readonly seed?: number;
}

function label(parameters: Readonly<Record<string, unknown>>): string {
  return Object.entries(parameters)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

function expectInvalidArgument(run: () => unknown, argument: string, fragments: string[]): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  if (caught === undefined)
    expect.fail(`expected an InvalidArgumentError naming \`${argument}\`, nothing was thrown`);
  if (!InvalidArgumentError.isInstance(caught)) {
    expect.fail(`expected an InvalidArgumentError naming \`${argument}\`, got ${String(caught)}`);
  }
  expect(caught.argument).toBe(argument);
  expect(caught.message).toContain(`\`${argument}\``);
  for (const fragment of fragments) expect(caught.message).toContain(fragment);
}

/** Values that violate `spec`, each with a fragment its error message must contain. */
function badValues(spec: ParameterSpec, valid: unknown): { value: unknown; shows: string }[] {
  const out: { value: unknown; shows: string }[] = [
    { value: Number.NaN, shows: 'NaN' },
    { value: 'text', shows: '"text"' },
  ];
  if (spec.type === 'integer') {
    out.push({ value: Number.POSITIVE_INFINITY, shows: 'Infinity' });
    if (spec.minimum !== undefined)
      out.push({ value: spec.minimum - 1, shows: String(spec.minimum - 1) });
    if (spec.maximum !== undefined)
      out.push({ value: spec.maximum + 1, shows: String(spec.maximum + 1) });
    const base = typeof valid === 'number' ? valid : (spec.minimum ?? 0);
    out.push({ value: base + 0.5, shows: String(base + 0.5) });
    if (spec.multipleOf !== undefined && spec.multipleOf > 1)
      out.push({ value: base + 1, shows: String(base + 1) });
  } else if (spec.type === 'number') {
    out.push({ value: Number.POSITIVE_INFINITY, shows: 'Infinity' });
    out.push({ value: Number.NEGATIVE_INFINITY, shows: '-Infinity' });
    if (spec.minimum !== undefined) {
      const v = spec.minimum - Math.max(1, Math.abs(spec.minimum));
      out.push({ value: v, shows: String(v) });
    }
    if (spec.maximum !== undefined) {
      const v = spec.maximum + Math.max(1, Math.abs(spec.maximum));
      out.push({ value: v, shows: String(v) });
    }
    if (spec.exclusiveMinimum !== undefined)
      out.push({ value: spec.exclusiveMinimum, shows: String(spec.exclusiveMinimum) });
    if (spec.exclusiveMaximum !== undefined)
      out.push({ value: spec.exclusiveMaximum, shows: String(spec.exclusiveMaximum) });
  } else {
    out.length = 0;
    out.push({ value: '__not_a_choice__', shows: '"__not_a_choice__"' }, { value: 1, shows: '1' });
  }
  return out;
}

/** Configurations to check: all of them for small N, else random walks from the initial one. */
interface Sample {
  readonly rows: Int32Array[];
  readonly enumeration?: EnumerationResult;
}

function randomWalk<P extends ParameterValues>(
  instance: LatticeModelInstance<P>,
  random: RandomGenerator,
  steps: number,
): Int32Array[] {
  const x = instance.initialConfiguration();
  const rows = [copyOf(x)];
  const moves = instance.localMoves;
  for (let step = 0; step < steps; step++) {
    const k = Math.floor(random.float64() * moves.count);
    if (moves.deltaEnergy(x, k) !== Number.POSITIVE_INFINITY) moves.apply(x, k);
    rows.push(copyOf(x));
  }
  return rows;
}

/**
 * Registers one vitest `describe` block per model with the contract checks for every parameter set
 * of `paramGrid`: instance shape and geometry, energies against `referenceEnergy` and across batch
 * layouts, constraints, local moves (energy changes against full energies, involution, detailed
 * balance of rates, connectivity of the allowed set), observables, cluster moves, the exact MPS
 * against the Boltzmann weights and exact observables against enumeration (for N small enough to
 * enumerate), and parameter validation with clear errors.
 */
export function describeLatticeModel<P extends ParameterValues>(
  model: LatticeModel<P>,
  options: DescribeLatticeModelOptions<P>,
): void {
  const fn = 'describeLatticeModel';
  if (typeof options !== 'object' || options === null) {
    invalidArgument(fn, 'options', options, 'an options object { paramGrid, ... }');
  }
  assertKnownOptions(fn, options, [
    'paramGrid',
    'referenceEnergy',
    'referenceAllowed',
    'maxEnumerationSites',
    'walkSteps',
    'invalidParameters',
    'seed',
  ]);
  const maxEnumerationSites = options.maxEnumerationSites ?? 14;
  const walkSteps = options.walkSteps ?? 300;
  const seed = options.seed ?? 1;
  if (!Array.isArray(options.paramGrid) || options.paramGrid.length === 0) {
    invalidArgument(fn, 'paramGrid', options.paramGrid, 'a non-empty array of parameter sets');
  }

  describe(`lattice model \`${model.id}\` conforms to the contract v1`, () => {
    it('declares the contract version, an id, a description and a valid parameter schema', () => {
      expect(model.specificationVersion).toBe('v1');
      expect(model.id).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(model.description.length).toBeGreaterThan(0);
      const names = Object.keys(model.parameterSchema);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const spec = model.parameterSchema[name] as ParameterSpec;
        expect(['integer', 'number', 'choice']).toContain(spec.type);
        expect(spec.description.length, `description of ${name}`).toBeGreaterThan(0);
        if (spec.type === 'choice') expect(spec.choices.length).toBeGreaterThan(0);
        if (spec.default !== undefined) {
          // the default must be accepted on its own
          const base = { ...(options.paramGrid[0] as Record<string, unknown>) };
          delete base[name];
          expect(() => model.create(base as Partial<P>), `default of ${name}`).not.toThrow();
        }
      }
    });

    if (model.annealing !== undefined) {
      it('declares an annealed parameter whose start is a valid parameter point', () => {
        const annealing = model.annealing;
        if (!annealing) expect.fail('annealing vanished');
        const spec = model.parameterSchema[annealing.parameter];
        assert(
          spec !== undefined && (spec.type === 'number' || spec.type === 'integer'),
          () => `annealing.parameter "${annealing.parameter}" is a number parameter of the schema`,
        );
        expect(annealing.start).toBeTypeOf('function');
        for (const point of options.paramGrid) {
          const target = model.create(point).parameters;
          const start = annealing.start(target);
          assert(Number.isFinite(start), () => `annealing.start of ${label(point)} is finite`);
          expect(
            () => model.create({ ...target, [annealing.parameter]: start } as Partial<P>),
            `the annealing start ${start} of ${label(point)} is accepted`,
          ).not.toThrow();
        }
      });
    }

    it('rejects bad parameters with errors naming the parameter, the value and the limit', () => {
      const base = options.paramGrid[0] as Record<string, unknown>;
      const resolved = model.create(base as Partial<P>).parameters as Record<string, unknown>;
      for (const [name, spec] of Object.entries(model.parameterSchema)) {
        for (const { value, shows } of badValues(spec, resolved[name])) {
          expectInvalidArgument(
            () => model.create({ ...base, [name]: value } as Partial<P>),
            name,
            [describeParameterSpec(spec), `(got ${shows})`],
          );
        }
      }
      expectInvalidArgument(
        () => model.create({ ...base, notAParameter: 1 } as Record<string, unknown>),
        'notAParameter',
        [],
      );
      for (const bad of options.invalidParameters ?? []) {
        const parameters = { ...base, ...bad.parameters } as Partial<P>;
        if (bad.call === undefined) {
          expectInvalidArgument(() => model.create(parameters), bad.argument, []);
        } else {
          const instance = model.create(parameters);
          expect(instance[bad.call], `${bad.call} exists`).toBeTypeOf('function');
          expectInvalidArgument(
            () => (bad.call === 'exactMPS' ? instance.exactMPS?.() : instance.exactObservables?.()),
            bad.argument,
            [],
          );
        }
      }
    });

    for (const point of options.paramGrid) {
      describe(label(point), () => {
        const instance = model.create(point);
        const parameters = instance.parameters as P;
        const { sites, localDimension: d, beta } = instance;
        const enumerable = sites <= maxEnumerationSites && d ** sites <= 2 ** 20;
        let cached: Sample | undefined;
        const sample = (): Sample => {
          if (cached) return cached;
          if (enumerable) {
            const enumeration = exactByEnumeration(instance);
            const rows: Int32Array[] = [];
            const all = enumeration.configurations;
            for (let k = 0; k < all.count; k++)
              rows.push(Int32Array.from(all.data.subarray(k * sites, (k + 1) * sites)));
            cached = { rows, enumeration };
          } else {
            cached = { rows: randomWalk(instance, createRandom(seed), walkSteps) };
          }
          return cached;
        };

        /**
         * The configurations whose energies are checked: all of them for small N, else the random
         * walk plus 64 uniformly random configurations (mostly not allowed for constrained
         * models), as rows and as one batch.
         */
        const checkedRows = (randomSeed: number): { all: Int32Array[]; data: Int32Array } => {
          const { rows } = sample();
          let all = rows;
          if (!enumerable) {
            const random = createRandom(randomSeed);
            all = [...rows];
            for (let b = 0; b < 64; b++) {
              const x = new Int32Array(sites);
              for (let i = 0; i < sites; i++) x[i] = Math.floor(random.float64() * d);
              all.push(x);
            }
          }
          const data = new Int32Array(all.length * sites);
          all.forEach((x, b) => {
            data.set(x, b * sites);
          });
          return { all, data };
        };

        it('describes itself consistently (sizes, geometry, observables, initial configuration)', () => {
          expect(instance.specificationVersion).toBe('v1');
          expect(instance.modelId).toBe(model.id);
          expect(Number.isInteger(sites) && sites >= 1).toBe(true);
          expect(Number.isInteger(d) && d >= 2).toBe(true);
          expect(Number.isFinite(beta)).toBe(true);
          // a parameter named beta is the instance's beta (doubled, it passed wherever no exact
          // reference was given)
          const named = (instance.parameters as Record<string, unknown>).beta;
          if (typeof named === 'number') {
            expect(beta, 'instance.beta equals the parameter beta').toBe(named);
          }
          // parameters round trip
          expect(model.create(instance.parameters).parameters).toEqual(instance.parameters);
          const g = instance.geometry;
          expect(g.sites).toBe(sites);
          expect(g.shape.length).toBe(g.dimension);
          expect(g.periodic.length).toBe(g.dimension);
          expect(g.coordinates.length).toBe(sites * g.dimension);
          const seen = new Set<string>();
          for (let i = 0; i < sites; i++) {
            const c = Array.from(g.coordinates.subarray(i * g.dimension, (i + 1) * g.dimension));
            seen.add(c.join(','));
            expect(g.siteIndex(c)).toBe(i);
          }
          expect(seen.size).toBe(sites);
          expect(g.bonds.length % 2).toBe(0);
          for (const s of g.bonds) expect(s >= 0 && s < sites).toBe(true);
          const names = instance.observables.map((o) => o.name);
          expect(new Set(names).size).toBe(names.length);
          for (const o of instance.observables) {
            expect(Number.isInteger(o.size) && o.size >= 1).toBe(true);
            expect(o.description.length).toBeGreaterThan(0);
          }
          expect(() =>
            instance.observe('__no_such_observable__', { data: new Int32Array(sites), count: 1 }),
          ).toThrow();
          const x0 = instance.initialConfiguration();
          expect(x0.length).toBe(sites);
          expect(instance.allowed({ data: x0, count: 1 })[0]).toBe(1);
          x0[0] = (x0[0] as number) === 0 ? 1 : 0;
          expect(instance.initialConfiguration()).not.toEqual(x0); // a fresh copy each time
        });

        it('computes energies and constraints consistently with the reference and across batch layouts', () => {
          const { all, data: data32 } = checkedRows(seed + 1);
          const data8 = Uint8Array.from(data32);
          const energy = instance.energy({ data: data32, count: all.length });
          const energy8 = instance.energy({ data: data8, count: all.length });
          const allowed = instance.allowed({ data: data32, count: all.length });
          expect(energy.length).toBe(all.length);
          expect(allowed.length).toBe(all.length);
          expect(instance.energy({ data: data32, count: 0 }).length).toBe(0);
          let allowedCount = 0;
          const step = Math.max(1, Math.floor(all.length / 512));
          for (let b = 0; b < all.length; b++) {
            const x = all[b] as Int32Array;
            const e = energy[b] as number;
            assert(
              energy8[b] === e,
              () => `Uint8Array and Int32Array batches give the same energy at ${x.join('')}`,
            );
            assert(
              allowed[b] === 1 || allowed[b] === 0,
              () => `allowed is 0 or 1 at ${x.join('')}`,
            );
            assert(
              Number.isFinite(e) === (allowed[b] === 1),
              () => `energy finite iff allowed at ${x.join('')}`,
            );
            if (allowed[b] === 1) allowedCount++;
            if (options.referenceAllowed) {
              const reference = options.referenceAllowed(parameters, x);
              assert(
                (allowed[b] === 1) === reference,
                () => `allowed(${x.join('')}) is ${reference}`,
              );
            }
            if (options.referenceEnergy) {
              const reference = options.referenceEnergy(parameters, x);
              if (Number.isFinite(reference) || Number.isFinite(e))
                expectClose(e, reference, 1, `E(${x.join('')})`);
              else assert(e === reference, () => `E(${x.join('')}) = ${reference}`);
            }
            if (b % step === 0) {
              // a single row gives the same value as inside the batch
              assert(
                instance.energy({ data: x, count: 1 })[0] === e,
                () => `single-row energy of ${x.join('')}`,
              );
            }
          }
          expect(allowedCount).toBeGreaterThan(0);
        });

        if (instance.localFactors) {
          it('exposes local factors that sum to the energy and allow exactly the allowed set', () => {
            const factors = instance.localFactors?.();
            if (!factors) expect.fail('localFactors returned nothing');
            expect(factors.specificationVersion).toBe('v1');
            const { all, data } = checkedRows(seed + 2);
            const energy = instance.energy({ data, count: all.length });
            const site = factors.siteEnergies;
            if (site !== undefined) expect(site.length).toBe(sites * d);
            const pairs = factors.pairs;
            const pairCount = pairs === undefined ? 0 : pairs.sites.length / 2;
            if (pairs !== undefined) {
              expect(Number.isInteger(pairCount)).toBe(true);
              expect(pairs.energies.length).toBe(pairCount * d * d);
            }
            for (let b = 0; b < all.length; b++) {
              const x = all[b] as Int32Array;
              let accepted = true;
              for (const automaton of factors.constraints ?? []) {
                const tables =
                  automaton.transitions instanceof Int32Array
                    ? [automaton.transitions]
                    : automaton.transitions;
                let state = automaton.initial;
                for (let i = 0; i < sites && state >= 0; i++) {
                  const table = (tables.length === 1 ? tables[0] : tables[i]) as Int32Array;
                  state = table[state * d + (x[i] as number)] as number;
                }
                if (state < 0 || automaton.accepting[state] !== 1) accepted = false;
              }
              const e = energy[b] as number;
              let sum = factors.constant ?? 0;
              let scale = Math.abs(sum);
              for (let i = 0; i < sites && site !== undefined; i++) {
                const v = site[i * d + (x[i] as number)] as number;
                sum += v;
                scale += Math.abs(v);
              }
              for (let p = 0; p < pairCount && pairs !== undefined; p++) {
                const a = x[pairs.sites[2 * p] as number] as number;
                const c = x[pairs.sites[2 * p + 1] as number] as number;
                const v = pairs.energies[p * d * d + a * d + c] as number;
                sum += v;
                scale += Math.abs(v);
              }
              // forbidden: rejected by an automaton or a term of energy +Infinity
              const allowedByFactors = accepted && Number.isFinite(sum);
              assert(
                allowedByFactors === Number.isFinite(e),
                () => `the local factors allow ${x.join('')} exactly when the model does`,
              );
              if (allowedByFactors)
                expectClose(sum, e, scale, `sum of the local factors of ${x.join('')}`);
            }
          });

          if (enumerable) {
            it('builds the exact Born MPS of pi from its local factors (checked by enumeration)', () => {
              const built = physicsBornMPS(instance, {
                maxBondDim: Number.POSITIVE_INFINITY,
                cutoff: 0,
              });
              const enumeration = sample().enumeration as EnumerationResult;
              expect(built.mps.kind).toBe('born');
              expectClose(
                built.logPartitionFunction,
                enumeration.logPartitionFunction,
                1,
                'ln Z of the physics-built MPS',
              );
              const all = enumerateConfigurations(sites, d);
              const logProbability = logProbabilities(built.mps, all);
              // the Born MPS is exact to rounding: compare on the scale of the largest P
              const largest = enumeration.probabilities.reduce((m, v) => Math.max(m, v), 0);
              for (let k = 0; k < all.count; k++) {
                const x = all.data.subarray(k * sites, (k + 1) * sites);
                const p = enumeration.probabilities[k] as number;
                expectClose(
                  Math.exp(logProbability[k] as number),
                  p,
                  largest,
                  `physics-built P(${x.join('')})`,
                );
              }
            });
          }
        }

        if (instance.symmetries) {
          it('declares symmetries that keep the energy (and their orders)', () => {
            const symmetries = instance.symmetries?.() ?? [];
            const { all, data } = checkedRows(seed + 3);
            const energy = instance.energy({ data, count: all.length });
            const scale = energy.reduce(
              (m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m),
              1,
            );
            symmetries.forEach((g, k) => {
              checkSymmetry('symmetries', `symmetries()[${k}]`, g, sites, d);
              // g^order is the identity and no smaller power is
              let power = Int32Array.from({ length: sites }, (_, i) => i);
              let digits = Int32Array.from({ length: d }, (_, s) => s);
              for (let p = 1; p <= g.order; p++) {
                power = power.map((i) => g.sites[i] as number);
                digits = digits.map((s) => (g.digits ? (g.digits[s] as number) : s));
                const identity = power.every((v, i) => v === i) && digits.every((v, s) => v === s);
                assert(
                  identity === (p === g.order),
                  () =>
                    `${g.name}: g^${p} is ${identity ? '' : 'not '}the identity (order ${g.order})`,
                );
              }
              const image = applySymmetry(g, { data, count: all.length }, sites);
              const mapped = instance.energy(image);
              for (let b = 0; b < all.length; b++) {
                const e = energy[b] as number;
                const x = all[b] as Int32Array;
                if (!Number.isFinite(e)) {
                  assert(mapped[b] === e, () => `${g.name} keeps ${x.join('')} not allowed`);
                } else expectClose(mapped[b] as number, e, scale, `E(${g.name} ${x.join('')})`);
              }
            });
          });
        }

        it('has local moves whose energy changes match full energies (involutive, detailed balance, connected)', () => {
          const { rows, enumeration } = sample();
          const moves = instance.localMoves;
          expect(Number.isInteger(moves.count) && moves.count >= 1).toBe(true);
          const energyOf = (x: Configuration): number =>
            enumeration
              ? (enumeration.energies[configurationIndex(x, d)] as number)
              : (instance.energy({ data: x, count: 1 })[0] as number);
          const allowedRows = rows.filter((x) => Number.isFinite(energyOf(x)));
          const scale = allowedRows.reduce((m, x) => Math.max(m, Math.abs(energyOf(x))), 1);
          let available = 0;
          for (const x of allowedRows) {
            const e = energyOf(x);
            for (let k = 0; k < moves.count; k++) {
              const dE = moves.deltaEnergy(x, k);
              if (dE === Number.POSITIVE_INFINITY) {
                if (moves.rate)
                  assert(
                    moves.rate(x, k) === 0,
                    () => `rate 0 of unavailable move ${k} at ${x.join('')}`,
                  );
                continue;
              }
              available++;
              const y = copyOf(x);
              moves.apply(y, k);
              const f = energyOf(y);
              assert(Number.isFinite(f), () => `move ${k} keeps ${x.join('')} allowed`);
              expectClose(dE, f - e, scale, `deltaEnergy of move ${k} at ${x.join('')}`);
              expectClose(moves.deltaEnergy(y, k), -dE, scale, `reverse deltaEnergy of move ${k}`);
              if (moves.rate) {
                const forward = moves.rate(x, k);
                const backward = moves.rate(y, k);
                assert(forward > 0, () => `positive rate of available move ${k} at ${x.join('')}`);
                expectClose(forward / backward, Math.exp(-beta * dE), 0, `rate ratio of move ${k}`);
              }
              moves.apply(y, k);
              assert(sameDigits(x, y), () => `move ${k} applied twice restores ${x.join('')}`);
            }
          }
          if (enumeration && enumeration.allowedCount > 1) {
            expect(available).toBeGreaterThan(0);
            // every allowed configuration is reachable from the initial one
            const visited = new Uint8Array(enumeration.configurations.count);
            const start = instance.initialConfiguration();
            const queue: Int32Array[] = [copyOf(start)];
            visited[configurationIndex(start, d)] = 1;
            let reached = 1;
            while (queue.length > 0) {
              const x = queue.pop() as Int32Array;
              for (let k = 0; k < moves.count; k++) {
                if (moves.deltaEnergy(x, k) === Number.POSITIVE_INFINITY) continue;
                const y = copyOf(x);
                moves.apply(y, k);
                const index = configurationIndex(y, d);
                if (visited[index] === 0) {
                  visited[index] = 1;
                  reached++;
                  queue.push(y);
                }
              }
            }
            expect(reached, 'allowed configurations reachable by local moves').toBe(
              enumeration.allowedCount,
            );
          }
        });

        it('measures observables on batches (sizes, finite values, batch layout)', () => {
          const { rows } = sample();
          const allowedRows = rows
            .filter((x) => instance.allowed({ data: x, count: 1 })[0] === 1)
            .slice(0, 256);
          const data = new Int32Array(allowedRows.length * sites);
          allowedRows.forEach((x, b) => {
            data.set(x, b * sites);
          });
          for (const spec of instance.observables) {
            const values = instance.observe(spec.name, { data, count: allowedRows.length });
            expect(
              values.length,
              `observe ${spec.name}: ${allowedRows.length} rows x its declared size ${spec.size}`,
            ).toBe(allowedRows.length * spec.size);
            for (const v of values) assert(Number.isFinite(v), () => `finite ${spec.name}`);
          }
          // every row against the row alone, and through a view with an offset
          checkObserveRows(instance, allowedRows);
        });

        it('has local moves that work on views into a larger buffer (as chains call them)', () => {
          const { rows } = sample();
          checkMovesOnViews(
            instance,
            rows.filter((x) => instance.allowed({ data: x, count: 1 })[0] === 1),
          );
        });

        it('refuses digits outside 0..d-1 in energy, allowed and observe, naming batch.data', () => {
          // a digit d or -1 at the first and at the last site of the last row of a batch of 3
          // (a model that checks digits inside its own pass over them must not stop early)
          const x0 = instance.initialConfiguration();
          for (const bad of [d, -1]) {
            for (const site of [0, sites - 1]) {
              const data = new Int32Array(3 * sites);
              for (let b = 0; b < 3; b++) data.set(x0, b * sites);
              data[2 * sites + site] = bad;
              const batch = { data, count: 3 };
              const calls: [string, () => unknown][] = [
                ['energy', () => instance.energy(batch)],
                ['allowed', () => instance.allowed(batch)],
                ...instance.observables.map((spec): [string, () => unknown] => [
                  `observe ${spec.name}`,
                  () => instance.observe(spec.name, batch),
                ]),
              ];
              for (const [what, call] of calls) {
                let caught: unknown;
                try {
                  call();
                } catch (error) {
                  caught = error;
                }
                const where = `${what} with digit ${bad} at site ${site}`;
                assert(InvalidArgumentError.isInstance(caught), () => `${where}: refused`);
                expect((caught as InvalidArgumentError).argument, where).toBe('batch.data');
              }
            }
          }
        });

        if (instance.clusterMove) {
          it('has cluster moves that keep x allowed and report the energy change', () => {
            const random = createRandom(seed + 2);
            const x = instance.initialConfiguration();
            let e = instance.energy({ data: x, count: 1 })[0] as number;
            for (let step = 0; step < 100; step++) {
              const before = copyOf(x);
              const result = instance.clusterMove?.(x, random);
              if (!result) expect.fail('clusterMove returned nothing');
              const f = instance.energy({ data: x, count: 1 })[0] as number;
              expect(Number.isFinite(f)).toBe(true);
              expectClose(
                result.deltaEnergy,
                f - e,
                Math.max(1, Math.abs(e)),
                'cluster deltaEnergy',
              );
              if (!result.accepted) expect(copyOf(x)).toEqual(before);
              expect(result.size).toBeGreaterThanOrEqual(0);
              e = f;
            }
          });
        }

        if (instance.clusterMove && enumerable) {
          it('has cluster moves that leave pi invariant (one move from exact draws of pi, chi-square)', () => {
            checkClusterMoveInvariance(
              instance,
              sample().enumeration as EnumerationResult,
              seed + 5,
            );
          });
        }

        if (instance.exactMPS && !enumerable) {
          it('gives an exact MPS and ln Z consistent with the energy (scale-free, beyond enumeration)', () => {
            checkExactReferencesAtPoint(instance, sample().rows);
          });
        }

        if (instance.exactMPS && enumerable) {
          it('gives an exact MPS proportional to the Boltzmann weights (checked by enumeration)', () => {
            const mps = instance.exactMPS?.();
            if (!mps) expect.fail('exactMPS returned nothing');
            const enumeration = sample().enumeration as EnumerationResult;
            expect(mps.kind).toBe('linear');
            expect(mps.length).toBe(sites);
            for (const pd of mps.physicalDims) expect(pd).toBe(d);
            const logNorm = mpsLogNormalization(mps);
            expect(Number.isFinite(logNorm), 'finite MPS normaliser').toBe(true);
            const all = enumerateConfigurations(sites, d);
            const logProbability = logProbabilities(mps, all);
            for (let k = 0; k < all.count; k++) {
              const x = all.data.subarray(k * sites, (k + 1) * sites);
              const p = enumeration.probabilities[k] as number;
              const logValue = logProbability[k] as number;
              if (p === 0) {
                assert(
                  logValue === Number.NEGATIVE_INFINITY,
                  () => `MPS vanishes off the allowed set at ${x.join('')}`,
                );
              } else {
                expectClose(Math.exp(logValue), p, 0, `MPS probability of ${x.join('')}`);
              }
            }
          });
        }

        if (instance.exactObservables && enumerable) {
          it('gives exact log Z and observable means equal to enumeration', () => {
            const exact = instance.exactObservables?.();
            if (!exact) expect.fail('exactObservables returned nothing');
            const enumeration = sample().enumeration as EnumerationResult;
            expectClose(exact.logPartitionFunction, enumeration.logPartitionFunction, 1, 'ln Z');
            const all = enumeration.configurations;
            for (const [name, mean] of Object.entries(exact.means)) {
              const spec = instance.observables.find((o) => o.name === name);
              expect(spec, `exact mean of a declared observable (${name})`).toBeDefined();
              const reference = enumeration.means[name];
              const values = instance.observe(name, all);
              let scale = 0;
              for (let k = 0; k < all.count; k++) {
                if ((enumeration.probabilities[k] as number) > 0) {
                  for (let j = 0; j < (spec?.size ?? 1); j++) {
                    scale = Math.max(scale, Math.abs(values[k * (spec?.size ?? 1) + j] as number));
                  }
                }
              }
              if (typeof mean === 'number') {
                expectClose(mean, reference as number, scale, `exact mean of ${name}`);
              } else {
                expect(mean.length).toBe(spec?.size);
                mean.forEach((m, j) => {
                  expectClose(
                    m,
                    (reference as Float64Array)[j] as number,
                    scale,
                    `exact mean of ${name}[${j}]`,
                  );
                });
              }
            }
          });
        }
      });
    }
  });
}
