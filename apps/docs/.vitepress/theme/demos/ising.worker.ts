/**
 * Module worker of the Ising demo: runs the real library code off the main thread and posts
 * progress events. Configurations are posted as L x L pictures (row-major, 0/1).
 */
import { type IsingDemoOptions, type IsingEvent, runIsingDemo } from './ising-core';
import { isingPictures } from './ising-pictures';

export type IsingWorkerMessage =
  | Exclude<IsingEvent, { type: 'samples' } | { type: 'denoising' }>
  | (Omit<Extract<IsingEvent, { type: 'samples' }>, 'states'> & { pictures: Uint8Array })
  | { type: 'denoising'; frames: { time: number; picture: Uint8Array }[] }
  | { type: 'error'; message: string };

/** The dedicated worker scope (typed here so that this file compiles with the DOM library). */
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<IsingDemoOptions>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event: MessageEvent<IsingDemoOptions>) => {
  const options = event.data;
  const { picture, pictures } = isingPictures(options.size);
  const post = (message: IsingWorkerMessage) => scope.postMessage(message);
  try {
    await runIsingDemo(options, (e) => {
      if (e.type === 'samples') {
        const { states, ...rest } = e;
        post({ ...rest, pictures: pictures(states, e.count) });
      } else if (e.type === 'denoising') {
        post({
          type: 'denoising',
          frames: e.frames.map((f) => ({ time: f.time, picture: picture(f.state) })),
        });
      } else {
        post(e);
      }
    });
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};
