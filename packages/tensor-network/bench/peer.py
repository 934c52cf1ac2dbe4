"""
The numpy + OpenBLAS peer of `pnpm bench`'s sampling rows (float64, batch 1000, d = 2, random
linear MPS with entries in [0.05, 1.05)): the same sweeps written the way a numpy user would.

- sample: right environments once, then one left-to-right sweep; at each site the weights of
  both digits from the site tensor contracted with the right environment, the digit by inverse
  CDF, and the next left vectors by one GEMM per digit over the rows that drew it.
- conditional: per-sample right environments (the weights differ per sample), then the sweep
  with both digits' products.

Run: python3 bench/peer.py (OPENBLAS_NUM_THREADS=1 for one BLAS thread). Prints samples per
second, the median of 5 blocks of 0.4 s with their range.
"""
import time

import numpy as np


def random_mps(n, d, chi, rng):
    return [rng.random((1 if i == 0 else chi, d, 1 if i == n - 1 else chi)) + 0.05 for i in range(n)]


def sample(ts, batch, rng):
    n = len(ts); d = ts[0].shape[1]
    R = [None] * (n + 1); R[n] = np.ones(1)
    for i in range(n - 1, -1, -1):
        v = ts[i].sum(axis=1) @ R[i + 1]
        R[i] = v / np.abs(v).max()
    x = np.ones((batch, 1)); digits = np.empty((batch, n), dtype=np.int32); logq = np.zeros(batch)
    for i in range(n):
        T = ts[i]; l, _, r = T.shape
        P = np.einsum('asr,r->as', T, R[i + 1])        # l x d
        W = x @ P                                     # batch x d
        tot = W.sum(axis=1)
        u = rng.random(batch) * tot
        s = (u >= W[:, 0]).astype(np.int32) if d == 2 else (np.cumsum(W, axis=1) <= u[:, None]).sum(axis=1)
        digits[:, i] = s
        w = W[np.arange(batch), s]
        logq += np.log(w / tot)
        y = np.empty((batch, r))
        for k in range(d):
            idx = np.nonzero(s == k)[0]
            if idx.size: y[idx] = x[idx] @ T[:, k, :]
        x = y / w[:, None]
    return digits, logq


def conditional(ts, weights, rng):
    # weights: batch x n x d; per-sample right environments, then one left-to-right sweep
    n = len(ts); d = ts[0].shape[1]; batch = weights.shape[0]
    R = [None] * (n + 1); R[n] = np.ones((batch, 1))
    for i in range(n - 1, -1, -1):
        T = ts[i]
        acc = np.zeros((batch, T.shape[0]))
        for s in range(d):
            acc += weights[:, i, s, None] * (R[i + 1] @ T[:, s, :].T)
        R[i] = acc / np.abs(acc).max(axis=1, keepdims=True)
    x = np.ones((batch, 1)); digits = np.empty((batch, n), dtype=np.int32); logq = np.zeros(batch)
    rows = np.arange(batch)
    for i in range(n):
        T = ts[i]
        Y = [x @ T[:, s, :] for s in range(d)]
        W = np.stack([weights[:, i, s] * np.einsum('br,br->b', Y[s], R[i + 1]) for s in range(d)], axis=1)
        tot = W.sum(axis=1)
        u = rng.random(batch) * tot
        s = (u >= W[:, 0]).astype(np.int32) if d == 2 else (np.cumsum(W, axis=1) <= u[:, None]).sum(axis=1)
        digits[:, i] = s
        w = W[rows, s]
        logq += np.log(w / tot)
        x = np.where((s == 0)[:, None], Y[0], Y[1]) / w[:, None] if d == 2 else np.stack(Y, 1)[rows, s] / w[:, None]
    return digits, logq


def rate(run):
    run()
    blocks = []
    for _ in range(5):
        start = time.perf_counter()
        k = 0
        while time.perf_counter() - start < 0.4:
            run()
            k += 1
        blocks.append(1000 * k / (time.perf_counter() - start))
    blocks.sort()
    return f"{blocks[2]:.0f} /s ({blocks[0]:.0f}-{blocks[-1]:.0f})"


rng = np.random.default_rng(1)
for n, chi in [(64, 16), (64, 32), (256, 16), (256, 32)]:
    ts = random_mps(n, 2, chi, rng)
    weights = rng.random((1000, n, 2)) + 0.05
    print(
        f"N={n} chi={chi}: sample {rate(lambda: sample(ts, 1000, rng))}, "
        f"conditional {rate(lambda: conditional(ts, weights, rng))}",
        flush=True,
    )
