#!/usr/bin/env python3
"""numpy's batched matmul on a 3-D array, the anchor for examples/batched.rs.

usage: python3 benches/peers/numpy_batched.py BATCH N THREADS
Prints one line: the best GFLOP/s of `a @ b` with a, b of shape (BATCH, N, N), float32.
"""
import sys, time
import numpy as np

batch, n, threads = (int(x) for x in sys.argv[1:4])
try:
    from threadpoolctl import threadpool_limits
    limit = threadpool_limits(limits=threads)
except ImportError:  # numpy's own threads then follow OPENBLAS_NUM_THREADS
    limit = None
rng = np.random.default_rng(0)
a = rng.standard_normal((batch, n, n)).astype(np.float32)
b = rng.standard_normal((batch, n, n)).astype(np.float32)
flop = 2.0 * batch * n * n * n
reps = max(3, int(1e9 / flop))
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    best = min(best, (time.perf_counter() - t) / reps)
print(f"{flop / best / 1e9:.2f}")
