#!/usr/bin/env python3
"""numpy's side of `examples/train_vs_peers --peer numpy`: training steps of
`mnist`'s default network written in numpy (the from-scratch MLP a reader
of a tutorial writes), timed the way the Rust side times its own.

usage: numpy_train.py DATA_DIR mlp STEPS BATCH THREADS [SEED]

The network is dense 784-800-10 with ReLU and softmax cross-entropy,
trained by SGD with momentum 0.9 and lr 0.05 (the velocity form
`v = 0.9 v - lr g; w += v`); the products run on the OpenBLAS numpy ships
with, on THREADS threads. The data is read from the IDX files (gzip'd or
not) into arrays first. After 5 untimed warm-up steps, STEPS steps on
shuffled batches are timed; the last line is
`samples_per_second=<n> steps=<n> seconds=<s>`.
"""
import os
import sys

from peer_support import find, read_idx, time_steps


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    data_dir, net, steps, batch, threads = sys.argv[1:6]
    if net != "mlp":
        sys.exit(f"error: numpy_train.py has the mlp network only, not {net!r}")
    # Read by OpenBLAS when numpy loads it, so before the import.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    import numpy as np

    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    steps, batch = int(steps), int(batch)
    rng = np.random.default_rng(seed)
    x = read_idx(find(data_dir, "train-images-idx3-ubyte"), np).reshape(-1, 784).astype(np.float32) / 255
    y = read_idx(find(data_dir, "train-labels-idx1-ubyte"), np).astype(np.int64)
    hidden, lr, mu = 800, np.float32(0.05), np.float32(0.9)
    w1 = (rng.standard_normal((784, hidden)) * np.sqrt(2 / 784)).astype(np.float32)
    w2 = (rng.standard_normal((hidden, 10)) * np.sqrt(2 / hidden)).astype(np.float32)
    b1, b2 = np.zeros(hidden, np.float32), np.zeros(10, np.float32)
    params = [w1, b1, w2, b2]
    velocity = [np.zeros_like(p) for p in params]
    perm = rng.permutation(len(x))

    def step(i):
        start = (i * batch) % (len(x) - batch)
        j = perm[start : start + batch]
        xb, yb = x[j], y[j]
        h = np.maximum(xb @ w1 + b1, 0)
        z = h @ w2 + b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(batch), yb] -= 1
        dz = p / np.float32(batch)
        dh = (dz @ w2.T) * (h > 0)
        grads = (xb.T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0))
        for param, v, g in zip(params, velocity, grads):
            v *= mu
            v -= lr * g
            param += v

    time_steps(step, steps, batch)


if __name__ == "__main__":
    main()
