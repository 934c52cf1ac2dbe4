/**
 * One thread of the local / Wolff baselines of bench.ts: the benchmark runs one of these on each
 * core at the same time, as the DDM schemes use both cores through the sampler pool.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { LatticeModel, ParameterValues } from '@latticediff/lattice';
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import { type ProposalScheme, runChains } from '../src/index';

export interface BaselineJob {
  model: string;
  target: ParameterValues;
  scheme: ProposalScheme;
  chains: number;
  steps: number;
  burnIn: number;
  seed: number;
  initial: Int32Array;
  observables: string[];
}

const models: Record<string, LatticeModel> = { ising: isingModel, fredkin: fredkinModel };
const job = workerData as BaselineJob;
const run = await runChains({
  model: models[job.model]!.create(job.target),
  scheme: job.scheme,
  chains: job.chains,
  steps: job.steps,
  burnIn: job.burnIn,
  seed: job.seed,
  initial: { data: job.initial, count: job.chains },
  observables: job.observables,
});
parentPort!.postMessage({
  series: run.series,
  seconds: run.seconds,
  accepted: run.accepted,
  proposed: run.proposed,
});
