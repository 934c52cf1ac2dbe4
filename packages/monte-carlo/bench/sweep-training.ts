/**
 * Two-site sweep training of a Born MPS on exact samples: Fredkin chain N = 64, c = 0.55
 * (exact Born bond dimension 17) and the 2D Ising model on an 8x8 cylinder at beta_c
 * (maxBondDim 16 and 32). Reports per sweep the test KL estimate (test NLL minus the exact
 * entropy estimated on the same test samples), the fraction of model samples that are allowed
 * (Fredkin) and the elapsed time.
 *
 * Run from packages/monte-carlo: node --import tsx bench/sweep-training.ts [--case=fredkin|ising]
 *   [--sweeps=K] [--lr=0.05] [--decay=1] [--hold=0] [--steps=1] [--cutoff=1e-4] [--train=20000]
 *   [--maxchi=D] [--no-validation]
 * The learning rate of sweep k is lr * decay^max(0, k - 1 - hold).
 */
import type { LatticeModelInstance } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { logProbabilities, type MPS, sample } from '@latticediff/tensor-network';
import { initialBornMPS, trainBornSweeps } from '../src/sweep-training';

const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = arg('case');
const sweepsArg = arg('sweeps');
const learningRate = Number(arg('lr') ?? 0.05);
const stepsPerBlock = Number(arg('steps') ?? 1);
const cutoff = Number(arg('cutoff') ?? 1e-4);
const decay = Number(arg('decay') ?? 1);
const hold = Number(arg('hold') ?? 0);
const maxChiArg = arg('maxchi');
const useValidation = !process.argv.includes('--no-validation');
const trainCount = Number(arg('train') ?? 20000);
const testCount = 2000;

function meanNll(mps: MPS, batch: { data: Int32Array; count: number }): number {
  const lp = logProbabilities(mps, batch);
  let total = 0;
  for (const v of lp) total -= v;
  return total / lp.length;
}

function run(
  name: string,
  model: LatticeModelInstance,
  maxBondDims: number[],
  sweeps: number,
  checkAllowed: boolean,
): void {
  const exact = model.exactMPS?.();
  if (!exact) throw new Error(`${name}: no exact MPS`);
  const all = sample(exact, { count: trainCount, seed: 1 });
  // early stopping: the last 10% of the training samples are held out for validation
  const held = useValidation ? Math.round(trainCount / 10) : 0;
  const n = model.sites;
  const train = { data: all.data.subarray(0, (trainCount - held) * n), count: trainCount - held };
  const validation = { data: all.data.subarray((trainCount - held) * n), count: held };
  const test = sample(exact, { count: testCount, seed: 2 });
  const entropy = meanNll(exact, test);
  const trainEntropy = meanNll(exact, train);
  console.log(
    `\n== ${name}: N = ${model.sites}, exact bond ${exact.maxBondDim}, ${train.count} train + ${held} validation / ${testCount} test samples, entropy estimate (test) ${entropy.toFixed(4)} nats; lr ${learningRate} x ${decay}^max(0, sweep-1-${hold}), steps/block ${stepsPerBlock}, cutoff ${cutoff}`,
  );
  for (const maxBondDim of maxChiArg === undefined ? maxBondDims : [Number(maxChiArg)]) {
    console.log(`-- maxBondDim ${maxBondDim}`);
    console.log('sweep  trainKL    testKL   allowed  chi   seconds');
    const init = initialBornMPS({ length: model.sites, bondDim: 2, seed: 7 });
    let evalSeconds = 0;
    const result = trainBornSweeps(
      init,
      { data: train.data, count: train.count },
      {
        sweeps,
        maxBondDim,
        learningRate: (sweep) => learningRate * decay ** Math.max(0, sweep - 1 - hold),
        stepsPerBlock,
        cutoff,
        ...(useValidation ? { validation, patience: 3 } : {}),
        onSweep: ({ sweep, nll, mps, seconds }) => {
          const e0 = performance.now();
          const kl = meanNll(mps, test) - entropy;
          let allowedText = '   -  ';
          if (checkAllowed) {
            const drawn = sample(mps, { count: 2000, seed: 100 + sweep });
            const energy = model.energy(drawn);
            let ok = 0;
            for (const e of energy) if (Number.isFinite(e)) ok++;
            allowedText = (ok / drawn.count).toFixed(4);
          }
          evalSeconds += (performance.now() - e0) / 1000;
          console.log(
            `${String(sweep).padStart(5)}  ${(nll - trainEntropy).toFixed(4).padStart(8)}  ${kl.toFixed(4).padStart(8)}  ${allowedText}  ${String(mps.maxBondDim).padStart(3)}  ${seconds.toFixed(1).padStart(7)}`,
          );
        },
      },
    );
    const finalKL = meanNll(result.mps, test) - entropy;
    console.log(
      `returned: sweep ${result.bestSweep}, test KL ${finalKL.toFixed(4)}, chi ${result.mps.maxBondDim}`,
    );
    console.log(`(evaluation time excluded: ${evalSeconds.toFixed(1)} s)`);
  }
}

const sweeps = sweepsArg === undefined ? undefined : Number(sweepsArg);
if (only === undefined || only === 'fredkin') {
  run('fredkin c=0.55', fredkinModel.create({ sites: 64, c: 0.55 }), [20], sweeps ?? 20, true);
}
if (only === undefined || only === 'ising') {
  run(
    'ising 8x8 cylinder beta=0.4406868',
    isingModel.create({ lx: 8, ly: 8, beta: 0.4406868 }),
    [16, 32],
    sweeps ?? 20,
    false,
  );
}
