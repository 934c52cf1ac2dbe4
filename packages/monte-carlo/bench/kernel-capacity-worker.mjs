// The fixed float64 kernel work of `kernelCapacity` (machine.ts): `reps` exact draws of 256
// configurations from a Born MPS of 64 sites at bond 16 (the size of the pool bench's
// proposals), after a warm-up; posts the milliseconds of the timed draws.
import { parentPort, workerData } from 'node:worker_threads';
import { randomMPS, sample } from '@latticediff/tensor-network';

const mps = randomMPS({ length: 64, bondDim: 16, kind: 'born', seed: 3 });
let checksum = 0;
for (let k = 0; k < 20; k++) checksum += sample(mps, { count: 256, seed: k }).data[0];
const start = performance.now();
for (let k = 0; k < workerData.reps; k++) checksum += sample(mps, { count: 256, seed: k }).data[0];
parentPort.postMessage([performance.now() - start, checksum]);
