/**
 * The tfjs backend: WebAssembly (XNNPACK, SIMD) by default, the pure-JavaScript cpu backend as a
 * fallback. Both compute in float32. The wasm binaries come from the installed
 * @tensorflow/tfjs-backend-wasm package (Node finds them next to its entry; a browser page must
 * serve them and call `setWasmPaths` of that package first): nothing is downloaded.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// gradients: tfjs-core's Node entry registers none (bundled by tsup, see tsup.config.ts)
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { invalidArgument } from '@latticediff/tensor-network/internal';
import * as tf from '@tensorflow/tfjs-core';

/** The backends this package runs on. */
export type NeuralBackend = 'wasm' | 'cpu';

/**
 * Selects and initialises a backend, awaiting it. With `'wasm'` (the default) a failure to start
 * WebAssembly falls back to `'cpu'` unless `strict` is set; returns the backend in use.
 */
export async function initBackend(
  backend: NeuralBackend = 'wasm',
  options: { strict?: boolean } = {},
): Promise<NeuralBackend> {
  if (backend !== 'wasm' && backend !== 'cpu') {
    invalidArgument('initBackend', 'backend', backend, '"wasm" or "cpu"');
  }
  if (tf.getBackend() === backend) return backend;
  let ok = false;
  try {
    ok = await tf.setBackend(backend);
  } catch {
    ok = false;
  }
  if (!ok) {
    if (backend === 'cpu' || options.strict) {
      throw new Error(`initBackend: the tfjs ${backend} backend could not be started`);
    }
    await tf.setBackend('cpu');
  }
  await tf.ready();
  return tf.getBackend() as NeuralBackend;
}

export { tf };
