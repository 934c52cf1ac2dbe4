import type { CheckpointStore } from './learning-loop';

/** A checkpoint store in memory (its last saved text in `text`), for resume tests. */
export function memoryStore(): CheckpointStore & { text?: string } {
  const store: CheckpointStore & { text?: string } = {
    save: (t) => {
      store.text = t;
    },
    load: () => store.text,
  };
  return store;
}
