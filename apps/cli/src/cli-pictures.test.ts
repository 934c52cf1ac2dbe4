/**
 * Issue 16: the training table shows every round (or says which it leaves out), and the pictures
 * say what they show: a colour legend, denoised configurations outside the allowed set marked, the
 * annealed parameter per round and readable captions.
 */
import { fredkinModel } from '@latticediff/model-fredkin';
import { isingModel } from '@latticediff/model-ising';
import type { RoundReport } from '@latticediff/monte-carlo';
import { uniformMPS } from '@latticediff/tensor-network';
import { describe, expect, it } from 'vitest';
import { configurationsPicture, denoisingPathSvg } from './commands/mc-render';
import { reportTable, trainingSvg } from './commands/train-render';
import { modelCaption } from './svg';

describe('the training table', () => {
  it('shows every training round up to 40, and says which are left out beyond', () => {
    const reports = (n: number): RoundReport[] =>
      Array.from({ length: n }, (_, k) => ({
        round: k + 1,
        parameters: { beta: 0.1 + k / 100 },
        nllBefore: 2,
        nllAfter: 1.5,
        acceptanceRate: 0.5,
        essPerSecond: 1,
        tauInt: 1,
        samplingSeconds: 0,
        trainingSeconds: 0,
      }));
    const rows = (text: string) => text.split('\n').filter((l) => /^\d+ /.test(l));
    const thirty = reportTable(reports(30), 'beta');
    expect(rows(thirty).map((l) => Number(l.split(' ')[0]))).toEqual(
      Array.from({ length: 30 }, (_, k) => k + 1),
    );
    expect(thirty).not.toMatch(/rounds shown/);
    const hundred = reportTable(reports(100), 'beta');
    expect(rows(hundred)).toHaveLength(20);
    expect(hundred).toMatch(
      /\(20 of 100 rounds shown: the first, the last and evenly spaced ones between; --json and --plots have every round\)/,
    );
  });
});

describe('pictures', () => {
  it('has a legend of the spin colours in configurations.svg', () => {
    const instance = isingModel.create({ lx: 4, ly: 4 });
    const states = new Int32Array(32).fill(1);
    const svg = configurationsPicture(instance, states, 2, 'final configurations');
    expect(svg).toContain('x = 0: spin down (s = -1)');
    expect(svg).toContain('x = 1: spin up (s = +1)');
    expect(svg).toContain('fill="rgb(255,255,255)" stroke="#666"');
    expect(svg).toContain('fill="rgb(0,0,0)" stroke="#666"');
  });

  it('marks a denoised configuration outside the allowed set (not a Dyck path)', () => {
    // a uniform MPS puts 14/256 of its mass on Dyck paths of 8 steps: its samples are mostly not
    const instance = fredkinModel.create({ sites: 8, c: 0.5 });
    const svg = denoisingPathSvg(instance, uniformMPS(8, 2), instance.initialConfiguration(), {
      time: 1,
      steps: 3,
      seed: 2,
    });
    expect(svg).toContain('not allowed by fredkin');
    expect(svg).toContain('red: the denoised configuration breaks the constraints of fredkin');
    expect(svg).not.toContain('(clean)');
    expect(svg).toContain('t = 0 (denoised)');
  });

  it('shows the annealed parameter per round and a readable caption in training.svg', () => {
    expect(modelCaption('ising', isingModel.create({ lx: 8, ly: 8 }).parameters)).toBe(
      'Ising 8x8 cylinder, beta = 0.4407, coupling = 1, field = 0',
    );
    expect(modelCaption('fredkin', { sites: 16, c: 0.5 })).toBe('Fredkin, sites = 16, c = 0.5');
    const reports: RoundReport[] = [0.1, 0.3, 0.44].map((beta, k) => ({
      round: k + 1,
      parameters: { beta },
      nllBefore: 2,
      nllAfter: 1.5,
      acceptanceRate: 0.5,
      essPerSecond: 1,
      tauInt: 1,
      samplingSeconds: 0,
      trainingSeconds: 0,
    }));
    const svg = trainingSvg(reports, {
      caption: 'training Ising 8x8 cylinder, beta = 0.4407',
      anneal: { parameter: 'beta', target: 0.44 },
    });
    expect(svg).toContain('beta of each round, annealed to the target beta = 0.44');
    expect(svg).toContain('round (beta per round in the first panel)');
    expect(svg).toContain('training Ising 8x8 cylinder, beta = 0.4407');
    expect(trainingSvg(reports, { caption: 'c' })).not.toContain('of each round, annealed');
  });
});
