import { extname } from 'node:path';
import type { LatticeModelInstance } from '@latticediff/lattice';
import { generate, uniformNoise } from '@latticediff/markov-jump';
import { createRandom, sample } from '@latticediff/tensor-network';
import { type FlagSpec, flagValue } from '../args';
import { type Checkpoint, checkpointModel, readCheckpoint, SEED_FLAG } from '../common';
import { quote, usage } from '../errors';
import {
  AtomicFileWriter,
  checkWritablePath,
  createProgress,
  num,
  progressEnabled,
  refuseForeignOverwrite,
  removeStaleTemporaries,
} from '../io';
import {
  isNeuralCheckpointFile,
  loadNeural,
  type NeuralCheckpoint,
  readNeuralCheckpoint,
  startBackend,
} from '../neural';
import type { Command } from './types';

/** --allowed-only gives up after this many draws per requested sample. */
const MAX_DRAWS_PER_KEPT = 1000;
const CHUNK = 4096;

async function writeStdout(text: string): Promise<void> {
  if (!process.stdout.write(text)) {
    await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}

const FORMAT_FLAG = {
  name: 'format',
  type: 'choice',
  choices: ['csv', 'jsonl'],
  description: 'format on stdout (or must match the --out extension)',
  default: 'csv',
} as const satisfies FlagSpec;

/**
 * Whether `head`, the first bytes of a file, begins a file that `sample --out` wrote in `format`:
 * the CSV header 0,1,...,N-1 (longer than the bytes read at large N: then it fills them), or a
 * first JSON line {"x":[...
 */
export function isSampleFileHead(format: 'csv' | 'jsonl', head: string): boolean {
  return format === 'csv' ? /^0(,\d+)*(\r?\n|,?$)/.test(head) : /^\{"x":\[/.test(head);
}

export const sampleCommand: Command = {
  name: 'sample',
  summary:
    'exact samples of a trained model (the MPS or network, not pi itself), as CSV or JSON lines',
  usage: [
    'sample --checkpoint FILE --count N [--noise-time T] [--seed S] [--allowed-only] [--out FILE.csv|FILE.jsonl] [--format csv|jsonl]',
  ],
  model: 'none',
  flags: [
    {
      name: 'checkpoint',
      type: 'string',
      valueName: 'FILE',
      description: 'a model trained by "latticediff train" (an MPS, or a neural network)',
      required: true,
    },
    {
      name: 'count',
      type: 'integer',
      valueName: 'N',
      description: 'number of samples',
      minimum: 1,
      maximum: 100000000,
      required: true,
    },
    {
      name: 'noise-time',
      type: 'number',
      valueName: 'T',
      description:
        'generate through the diffusion: y ~ P_T, then x ~ P(x | y) exactly (same law; default: autoregressive sampling)',
      exclusiveMinimum: 0,
    },
    SEED_FLAG,
    {
      name: 'allowed-only',
      type: 'boolean',
      description:
        "keep only samples that satisfy the model's hard constraints (draws until --count are kept; the kept rows follow P restricted to the allowed set)",
    },
    {
      name: 'out',
      type: 'string',
      valueName: 'FILE',
      description: 'output file; .csv or .jsonl decides the format (default: CSV on stdout)',
    },
    FORMAT_FLAG,
  ],
  details: [
    'CSV: a header line of site indices 0,1,...,N-1, then one configuration per line (digits in',
    'the model\'s site order). JSON lines: {"x":[...],"logProbability":...} per sample, with the',
    'exact log-probability under the trained model. --out is written atomically.',
    '',
    'These are exact samples of the trained MPS P, not of the target pi: use "latticediff mc" for',
    'estimates under pi. With --out the command reports the fraction of draws that satisfy the',
    "model's hard constraints (the allowed mass of P); --allowed-only keeps only those.",
  ],
  async run({ values }) {
    const path = String(values.checkpoint);
    const noiseTime = values['noise-time'] === undefined ? undefined : Number(values['noise-time']);
    // a neural network (train --proposal neural) or an MPS
    let network: NeuralCheckpoint | undefined;
    let checkpoint: Checkpoint | undefined;
    let instance: LatticeModelInstance;
    if (isNeuralCheckpointFile(path)) {
      if (noiseTime !== undefined) {
        usage(
          `--noise-time generates through the diffusion of an MPS, and ${quote(path)} is a neural network, which has no exact denoising`,
          'drop --noise-time: the network is sampled directly (exactly, site by site)',
        );
      }
      const neural = await loadNeural(`checkpoint ${quote(path)} (a neural network)`);
      await startBackend(neural, undefined, true);
      network = readNeuralCheckpoint(neural, path);
      ({ instance } = await checkpointModel(network, undefined, {}));
    } else {
      checkpoint = readCheckpoint(path);
      ({ instance } = await checkpointModel(checkpoint, undefined, {}));
    }
    const count = Number(values.count);
    const seed = flagValue(values, SEED_FLAG);
    const outArg = values.out === undefined ? undefined : String(values.out);
    let format = values.format === undefined ? undefined : String(values.format);
    let out: string | undefined;
    if (outArg !== undefined) {
      const ext = extname(outArg).toLowerCase();
      const byExtension = ext === '.csv' ? 'csv' : ext === '.jsonl' ? 'jsonl' : undefined;
      if (!byExtension) {
        usage(
          `--out must end in .csv or .jsonl (got ${quote(outArg)})`,
          'the extension chooses the format',
        );
      }
      if (format !== undefined && format !== byExtension) {
        usage(`--format ${format} does not match --out ${quote(outArg)}`);
      }
      format = byExtension;
      out = checkWritablePath('--out', outArg);
      // (it overwrote any file, the checkpoint being read included)
      refuseForeignOverwrite('--out', out, outArg, 'a sample file of latticediff', (head) =>
        isSampleFileHead(byExtension, head),
      );
      removeStaleTemporaries(out);
    }
    format ??= 'csv';
    const n = instance.sites;
    const mps = checkpoint?.mps;
    const noise =
      noiseTime === undefined ? undefined : uniformNoise({ physicalDim: instance.localDimension });
    const random = createRandom(seed);
    // --out: streamed into a temporary file, renamed over --out only when complete
    const file = out === undefined ? undefined : new AtomicFileWriter(out);
    const emit = async (text: string) => {
      if (file === undefined) await writeStdout(text);
      else file.write(text);
    };
    const progress = createProgress('sampling', count, out !== undefined && progressEnabled(false));
    const allowedOnly = values['allowed-only'] === true;
    let drawnTotal = 0;
    let allowedTotal = 0;
    try {
      if (format === 'csv') await emit(`${Array.from({ length: n }, (_, i) => i).join(',')}\n`);
      for (let done = 0, chunk = 0; done < count; chunk++) {
        if (allowedOnly && drawnTotal >= MAX_DRAWS_PER_KEPT * count) {
          usage(
            `--allowed-only: only ${done} of ${drawnTotal} draws satisfied the constraints of ${instance.modelId} (allowed mass ${num(done / drawnTotal, 3)}); stopped after ${MAX_DRAWS_PER_KEPT} draws per requested sample`,
            'train the model longer or with a larger --max-bond-dim, or drop --allowed-only',
          );
        }
        const size = Math.min(CHUNK, count - done);
        const drawn = network
          ? network.made.sample(size, random.split(chunk).uint32())
          : noise === undefined
            ? sample(mps!, { count: size, seed: random.split(chunk) })
            : generate(mps!, noise, { count: size, time: noiseTime!, seed: random.split(chunk) });
        const allowed = instance.allowed(drawn);
        drawnTotal += size;
        const lines: string[] = [];
        for (let b = 0; b < size; b++) {
          if (allowed[b] === 1) allowedTotal++;
          else if (allowedOnly) continue;
          const row = drawn.data.subarray(b * n, (b + 1) * n);
          if (format === 'csv') lines.push(row.join(','));
          else
            lines.push(
              JSON.stringify({ x: Array.from(row), logProbability: drawn.logProbabilities[b] }),
            );
        }
        if (lines.length > 0) await emit(`${lines.join('\n')}\n`);
        done += lines.length;
        progress.update(done);
      }
      file?.commit();
    } catch (error) {
      file?.abort();
      throw error;
    } finally {
      progress.finish();
    }
    if (out !== undefined) {
      const mass = `${num((100 * allowedTotal) / drawnTotal, 2)}% of the draws satisfy the constraints of ${instance.modelId}`;
      process.stdout.write(
        `wrote ${count} exact samples of the trained model of ${instance.modelId} (${n} sites; samples of the ${network ? 'network' : 'MPS'}, not of pi) to ${outArg}; ${allowedOnly ? `kept only the allowed ones (${allowedTotal} of ${drawnTotal} draws: ${mass})` : mass}\n`,
      );
    }
  },
};
