/**
 * Module worker of the Ising demo's neural path: trains a MADE (@latticediff/neural, tfjs) and
 * runs exact disconnected Metropolis-Hastings with it, off the main thread. Configurations are
 * posted as L x L pictures (row-major, 0/1).
 *
 * The tfjs wasm binaries are served by this site: the bundler emits the three files of the
 * installed @tensorflow/tfjs-backend-wasm into the site's assets (`?url` imports) and
 * `setWasmPaths` points the backend at them, before the backend is started. Nothing is fetched
 * from anywhere else.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  type IsingNeuralDemoOptions,
  type IsingNeuralEvent,
  runIsingNeuralDemo,
} from './ising-neural-core';
import { isingPictures } from './ising-pictures';

export type IsingNeuralWorkerMessage =
  | Exclude<IsingNeuralEvent, { type: 'samples' }>
  | (Omit<Extract<IsingNeuralEvent, { type: 'samples' }>, 'states'> & { pictures: Uint8Array })
  | { type: 'error'; message: string };

/** The binaries by the names the backend asks for, as URLs of this site. */
export const WASM_FILES = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
};

setWasmPaths(WASM_FILES);

/** The dedicated worker scope (typed here so that this file compiles with the DOM library). */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<IsingNeuralDemoOptions>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event: MessageEvent<IsingNeuralDemoOptions>) => {
  const options = event.data;
  const { pictures } = isingPictures(options.size);
  const post = (message: IsingNeuralWorkerMessage) => scope.postMessage(message);
  try {
    await runIsingNeuralDemo(options, (e) => {
      if (e.type === 'samples') {
        const { states, ...rest } = e;
        post({ ...rest, pictures: pictures(states, e.count) });
      } else {
        post(e);
      }
    });
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};
