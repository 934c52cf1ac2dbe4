/**
 * The demos' computations in Node, with fixed seeds, against the exact references the pages show:
 * what the browser runs must be right, not only render.
 */
import { describe, expect, it } from 'vitest';
import {
  type FredkinDiffusionEvent,
  type FredkinLocalEvent,
  fredkinReference,
  heights,
  runFredkinDiffusion,
  runFredkinLocal,
} from '../.vitepress/theme/demos/fredkin-core';
import { type IsingEvent, runIsingDemo } from '../.vitepress/theme/demos/ising-core';
import {
  type IsingNeuralEvent,
  runIsingNeuralDemo,
} from '../.vitepress/theme/demos/ising-neural-core';

const CRITICAL_BETA = Math.log(1 + Math.SQRT2) / 2;

describe('ising demo core', () => {
  it('learns, samples pi within 4 standard errors of the transfer matrix, and denoises', async () => {
    const events: IsingEvent[] = [];
    await runIsingDemo(
      { size: 4, beta: CRITICAL_BETA, rounds: 16, bondDim: 6, chains: 16, steps: 400, seed: 7 },
      (e) => events.push(e),
    );
    const rounds = events.filter((e) => e.type === 'round');
    expect(rounds).toHaveLength(16);
    const samples = events.filter((e) => e.type === 'samples');
    expect(samples.length).toBeGreaterThan(1);
    const last = samples[samples.length - 1]!;
    expect(last.step).toBe(400);
    expect(last.states).toHaveLength(16 * 16);
    for (const e of last.estimates) {
      expect(Number.isFinite(e.stdErr) && e.stdErr > 0, e.name).toBe(true);
      expect(
        Math.abs(e.mean - e.exact),
        `${e.name}: ${e.mean} ± ${e.stdErr} vs ${e.exact}`,
      ).toBeLessThanOrEqual(4 * e.stdErr);
    }
    const denoising = events.find((e) => e.type === 'denoising');
    expect(denoising?.type === 'denoising' && denoising.frames.map((f) => f.time)).toEqual([
      2,
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
      0,
    ]);
    expect(events[events.length - 1]!.type).toBe('done');
  });
});

describe('ising demo core, neural proposal', () => {
  // a tiny network and run: the worker's logic on both tfjs backends, not the quality of training
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`trains a MADE on the ${backend} backend and runs exact disconnected chains`, async () => {
      const { tf } = await import('@latticediff/neural');
      const events: IsingNeuralEvent[] = [];
      const run = () =>
        runIsingNeuralDemo(
          {
            size: 4,
            beta: 0.3,
            hidden: 16,
            trainingSteps: 20,
            batch: 32,
            learningRate: 5e-3,
            betaAnneal: 0.9,
            chains: 4,
            steps: 40,
            seed: 11,
            backend,
          },
          (e) => events.push(e),
        );
      await run();
      expect(events[0]).toEqual({ type: 'backend', backend, requested: backend, fallback: false });
      expect(tf.getBackend()).toBe(backend);
      // the tensors of a run are freed (the second run starts with the backend already set)
      const tensors = tf.memory().numTensors;
      await run();
      expect(tf.memory().numTensors).toBe(tensors);

      const training = events.filter((e) => e.type === 'training');
      expect(training.map((e) => e.step)).toEqual([10, 20, 10, 20]);
      for (const e of training) expect(Number.isFinite(e.freeEnergy), 'free energy').toBe(true);
      const trained = events.find((e) => e.type === 'trained');
      expect(trained?.type === 'trained' && Number.isFinite(trained.kl)).toBe(true);
      // KL(q || pi) >= 0 up to the bound's error bar
      if (trained?.type === 'trained') {
        expect(trained.kl).toBeGreaterThan(-5 * trained.stdErr);
      }
      const samples = events.filter((e) => e.type === 'samples');
      const last = samples[samples.length - 1]!;
      expect(last.step).toBe(40);
      expect(last.states).toHaveLength(4 * 16);
      expect(last.acceptance).toBeGreaterThan(0);
      expect(last.acceptance).toBeLessThanOrEqual(1);
      for (const e of last.estimates) {
        expect(Number.isFinite(e.mean) && Number.isFinite(e.stdErr), e.name).toBe(true);
      }
      expect(events[events.length - 1]!.type).toBe('done');
    });
  }
});

describe('fredkin demo core', () => {
  it('diffusion samples are Dyck paths whose estimates match the exact profile', async () => {
    const events: FredkinDiffusionEvent[] = [];
    const n = 32;
    await runFredkinDiffusion({ sites: n, c: 0.6, samples: 2000, batch: 500, seed: 3 }, (e) =>
      events.push(e),
    );
    const reference = fredkinReference(n, 0.6);
    const samples = events.filter((e) => e.type === 'samples');
    expect(samples.map((s) => s.samples)).toEqual([500, 1000, 1500, 2000]);
    const last = samples[samples.length - 1]!;
    for (let s = 0; s < last.latestCount; s++) {
      const h = heights(last.latest, s * n, n);
      expect(Math.min(...h)).toBe(0);
      expect(h[n]).toBe(0);
    }
    expect(Math.abs(last.midHeight.mean - reference.midHeight)).toBeLessThanOrEqual(
      4 * last.midHeight.stdErr,
    );
    expect(Math.abs(last.meanHeight.mean - reference.meanHeight)).toBeLessThanOrEqual(
      4 * last.meanHeight.stdErr,
    );
    const denoising = events.find((e) => e.type === 'denoising');
    const frames = denoising?.type === 'denoising' ? denoising.frames : [];
    expect(frames).toHaveLength(8);
    const final = heights(frames[7]!.state, 0, n);
    expect(Math.min(...final)).toBe(0);
    expect(final[n]).toBe(0);
  });

  it('the local dynamics keeps a Dyck path and reports every frame', async () => {
    const events: FredkinLocalEvent[] = [];
    const n = 16;
    await runFredkinLocal(
      { sites: n, c: 0.4, sweeps: 200, sweepsPerFrame: 50, frameDelay: 0, seed: 5 },
      (e) => events.push(e),
    );
    const frames = events.filter((e) => e.type === 'local');
    expect(frames.map((f) => f.sweeps)).toEqual([50, 100, 150, 200]);
    for (const f of frames) {
      const h = heights(f.state, 0, n);
      expect(Math.min(...h)).toBe(0);
      expect(h[n]).toBe(0);
      expect(f.midHeightTrace).toHaveLength(f.sweeps);
    }
  });
});
