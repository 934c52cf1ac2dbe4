/**
 * Module worker of the Fredkin demo. One message starts either the diffusion-model sampler
 * (exact samples from the exact MPS) or the local dynamics (an animated Metropolis chain).
 */
import {
  type FredkinDiffusionEvent,
  type FredkinDiffusionOptions,
  type FredkinLocalEvent,
  type FredkinLocalOptions,
  runFredkinDiffusion,
  runFredkinLocal,
} from './fredkin-core';

export type FredkinWorkerRequest =
  | ({ kind: 'diffusion' } & FredkinDiffusionOptions)
  | ({ kind: 'local' } & FredkinLocalOptions);

export type FredkinWorkerMessage =
  | FredkinDiffusionEvent
  | FredkinLocalEvent
  | { type: 'error'; message: string };

/** The dedicated worker scope (typed here so that this file compiles with the DOM library). */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<FredkinWorkerRequest>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event: MessageEvent<FredkinWorkerRequest>) => {
  const post = (message: FredkinWorkerMessage) => scope.postMessage(message);
  try {
    const request = event.data;
    if (request.kind === 'diffusion') await runFredkinDiffusion(request, post);
    else await runFredkinLocal(request, post);
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};
