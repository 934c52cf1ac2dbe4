/**
 * What `latticediff train` shows of an MPS training run: the table of rounds, the quality notes,
 * the SVG pictures, and the exact entropy beside the NLL where the model has one.
 */
import type { LatticeModelInstance, ParameterValues } from '@latticediff/lattice';
import type { RoundReport } from '@latticediff/monte-carlo';
import { num, table } from '../io';
import { chartsSvg } from '../svg';

/**
 * NLL (with the exact entropy of the target as a line where it is known), acceptance and, where
 * the rounds report it, the estimated KL(pi || P) per round, as an SVG document; with `anneal`,
 * a first panel shows the annealed parameter of every round (the target as a dashed line).
 */
export function trainingSvg(
  reports: readonly RoundReport[],
  options: {
    caption: string;
    scheme?: 'connected' | 'disconnected';
    exactEntropy?: number | undefined;
    /** The annealed parameter (e.g. beta) and its target value. */
    anneal?: { parameter: string; target: number } | undefined;
  },
): string {
  const { caption, exactEntropy } = options;
  const scheme = options.scheme ?? 'connected';
  const rounds = reports.map((r) => r.round);
  const withQuality = reports.some((r) => r.quality !== undefined);
  const anneal = options.anneal;
  const annealed = anneal
    ? reports.map((r) => {
        const v = r.parameters?.[anneal.parameter];
        return typeof v === 'number' ? v : Number.NaN;
      })
    : [];
  const roundLabel =
    anneal && annealed.some(Number.isFinite)
      ? `round (${anneal.parameter} per round in the first panel)`
      : 'round';
  return chartsSvg(
    [
      ...(anneal && annealed.some(Number.isFinite)
        ? [
            {
              title: `${anneal.parameter} of each round, annealed to the target ${anneal.parameter} = ${Number(anneal.target.toPrecision(4))}`,
              xLabel: 'round',
              yLabel: anneal.parameter,
              series: [{ name: anneal.parameter, x: rounds, y: annealed }],
              referenceLines: [anneal.target],
            },
          ]
        : []),
      {
        title: "negative log-likelihood of each round's samples",
        xLabel: roundLabel,
        yLabel: 'NLL (nats per configuration)',
        series: [
          { name: 'before training', x: rounds, y: reports.map((r) => r.nllBefore ?? Number.NaN) },
          { name: 'after training', x: rounds, y: reports.map((r) => r.nllAfter ?? Number.NaN) },
          ...(exactEntropy === undefined
            ? []
            : [{ name: 'exact entropy S', x: rounds, y: rounds.map(() => exactEntropy) }]),
        ],
      },
      {
        title: `acceptance of ${scheme} DDM proposals`,
        xLabel: roundLabel,
        yLabel: 'acceptance rate',
        series: [
          { name: 'acceptance', x: rounds, y: reports.map((r) => r.acceptanceRate ?? Number.NaN) },
        ],
        referenceLines: [0],
      },
      ...(withQuality
        ? [
            klPanel(
              "KL(pi || P) estimated from the model's own samples (importance weights)",
              roundLabel,
              rounds,
              reports,
            ),
          ]
        : []),
    ],
    { caption },
  );
}

/**
 * The chart of the rounds' KL(pi || proposal) estimates (`quality` of each report, NaN where a
 * round has none) with the estimate plus two standard errors.
 */
export function klPanel(
  title: string,
  xLabel: string,
  rounds: number[],
  // (a report read back from JSON has null where the estimate was NaN)
  reports: readonly { quality?: { kl: number | null; klStdErr: number | null } | null }[],
) {
  return {
    title,
    xLabel,
    yLabel: 'KL (nats)',
    series: [
      { name: 'estimate', x: rounds, y: reports.map((r) => r.quality?.kl ?? Number.NaN) },
      {
        name: 'estimate + 2 err',
        x: rounds,
        y: reports.map((r) =>
          r.quality
            ? (r.quality.kl ?? Number.NaN) + 2 * (r.quality.klStdErr ?? Number.NaN)
            : Number.NaN,
        ),
      },
    ],
    referenceLines: [0],
  };
}

/** Sites up to which `train` asks the model for its exact entropy (exact references can be slow). */
const EXACT_ENTROPY_MAX_SITES = 128;

/**
 * The exact entropy S = ln Z + beta <E> of the target, where the model has exact values and at
 * most EXACT_ENTROPY_MAX_SITES sites.
 */
export function exactEntropy(instance: LatticeModelInstance): number | undefined {
  if (instance.sites > EXACT_ENTROPY_MAX_SITES) return undefined;
  try {
    const exact = instance.exactObservables?.();
    const energyPerSite = exact?.means.energyPerSite;
    if (exact === undefined || typeof energyPerSite !== 'number') return undefined;
    return exact.logPartitionFunction + instance.beta * energyPerSite * instance.sites;
  } catch {
    return undefined; // too large for the exact reference
  }
}

export function exactEntropyField(instance: LatticeModelInstance): { exactEntropy?: number } {
  const entropy = exactEntropy(instance);
  return entropy === undefined ? {} : { exactEntropy: entropy };
}

/** What the quality columns mean, and the exact entropy beside the NLL where it is known. */
export function qualityNotes(
  reports: readonly RoundReport[],
  instance: LatticeModelInstance,
): string[] {
  if (!reports.some((r) => r.quality !== undefined)) return [];
  const entropy = exactEntropy(instance);
  return [
    "KL(pi||P): from 2048 exact samples of each round's model by their importance weights",
    'exp(-beta E) / P (no exact reference needed); allowed: the fraction of those samples that',
    'satisfy the constraints.',
    ...(entropy === undefined
      ? []
      : [
          `exact entropy of the target: S = ln Z + beta <E> = ${num(entropy, 3)} nats (the NLL of samples of pi is S + KL(pi||P))`,
        ]),
  ];
}

/** Up to this many rounds the table shows every round. */
const TABLE_ALL_ROUNDS = 40;
/** Rows of the table for longer runs (first, evenly spaced, last). */
const TABLE_ROWS = 20;

/**
 * The round reports as a table: every round up to {@link TABLE_ALL_ROUNDS} rounds; for longer
 * runs {@link TABLE_ROWS} of them (first, evenly spaced, last) and a line saying so.
 */
export function reportTable(reports: readonly RoundReport[], anneal: string | undefined): string {
  // runs recorded before the quality figures existed have none
  const withQuality = reports.some((r) => r.quality !== undefined);
  return roundsTable(
    reports.length,
    [
      'round',
      ...(anneal ? [anneal] : []),
      'NLL before',
      'NLL after',
      'acceptance',
      ...(withQuality ? ['KL(pi||P) ± err', 'allowed'] : []),
    ],
    (i) => {
      const r = reports[i]!;
      const value = anneal ? r.parameters?.[anneal] : undefined;
      const q = r.quality;
      return [
        String(r.round),
        ...(anneal ? [typeof value === 'number' ? num(value, 4) : String(value)] : []),
        num(r.nllBefore, 3),
        num(r.nllAfter, 3),
        num(r.acceptanceRate, 3),
        ...(withQuality
          ? [
              q === undefined || !Number.isFinite(q.kl)
                ? 'n/a'
                : `${num(q.kl, 3)} ± ${num(q.klStdErr, 3)}`,
              q === undefined ? 'n/a' : num(q.allowedFraction, 4),
            ]
          : []),
      ];
    },
  );
}

/**
 * A table of one row per round: every round up to TABLE_ALL_ROUNDS of them, else TABLE_ROWS
 * (the first, the last and evenly spaced ones between), with a line saying so.
 */
export function roundsTable(
  count: number,
  headers: readonly string[],
  row: (index: number) => string[],
): string {
  const pick = new Set<number>();
  const shown = count <= TABLE_ALL_ROUNDS ? count : TABLE_ROWS;
  for (let k = 0; k < shown; k++) {
    pick.add(Math.round((k * (count - 1)) / Math.max(1, shown - 1)));
  }
  const text = table(headers, [...pick].sort((a, b) => a - b).map(row));
  return pick.size < count
    ? `${text}\n(${pick.size} of ${count} rounds shown: the first, the last and evenly spaced ones between; --json and --plots have every round)`
    : text;
}

export function parametersText(parameters: ParameterValues): string {
  return Object.entries(parameters)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(8)) : v}`)
    .join(' ');
}
