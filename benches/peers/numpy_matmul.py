#!/usr/bin/env python3
"""numpy's matmul (the OpenBLAS its wheel ships), timed as `examples/gemm`
times matnet.

usage: python3 benches/peers/numpy_matmul.py THREADS KIND M K N DTYPE
  KIND: NN, AtB (A stored transposed) or ABt (B stored transposed), as in
  examples/gemm; DTYPE: f32 or f64. Prints one figure: GFLOP/s, best of 5
  batches of back-to-back products. `examples/gemm --peer numpy` runs it
  beside each of its own measurements; `benches/peers/run gemm` sets up
  numpy on first use.
"""
import os
import sys
import time


def main():
    threads, kind, m, k, n, dtype = sys.argv[1:7]
    # Read by OpenBLAS when numpy loads it, so before the import.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    import numpy as np

    m, k, n = int(m), int(k), int(n)
    dt = {"f32": np.float32, "f64": np.float64}.get(dtype)
    if dt is None:
        sys.exit(f"numpy_matmul.py: DTYPE must be f32 or f64, not {dtype}")
    rng = np.random.default_rng(0)
    a = (rng.random((k, m)) * 2 - 1).astype(dt).T if kind == "AtB" else (rng.random((m, k)) * 2 - 1).astype(dt)
    b = (rng.random((n, k)) * 2 - 1).astype(dt).T if kind == "ABt" else (rng.random((k, n)) * 2 - 1).astype(dt)
    c = np.empty((m, n), dt)
    flop = 2.0 * m * n * k
    reps = max(3, int(2e9 / flop))
    np.matmul(a, b, out=c)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        best = min(best, (time.perf_counter() - t) / reps)
    print(f"{flop / best / 1e9:.1f}")


if __name__ == "__main__":
    main()
