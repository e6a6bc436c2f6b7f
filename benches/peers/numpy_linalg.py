#!/usr/bin/env python3
"""numpy.linalg (LAPACK through numpy's OpenBLAS), the peer of examples/linalg.rs.

Two ways to run it:

  OPENBLAS_NUM_THREADS=T python3 benches/peers/numpy_linalg.py --serve
      What `cargo run --release --example linalg -- --peer numpy` starts, one
      process per thread count. Reads lines `ROUTINE N DTYPE` on stdin
      (ROUTINE: cholesky, lu, qr; DTYPE: f64, f32) and answers each with one
      line: the seconds of one call, timed here so that matnet's and numpy's
      repetitions can alternate in one run.

  OPENBLAS_NUM_THREADS=T python3 benches/peers/numpy_linalg.py [N ...]
      Standalone: the median GFLOP/s of 5 calls per routine and size.

The inputs match the example's: an SPD matrix X Xᵀ + n I for Cholesky, a
standard normal matrix for LU (np.linalg.solve with one right-hand side:
getrf + getrs) and QR (np.linalg.qr mode='r': geqrf, R only).
Flop counts: Cholesky n³/3, LU 2n³/3, QR 4n³/3.
"""
import sys
import time

import numpy as np

_cache = {}


def inputs(n, dtype):
    key = (n, dtype)
    if key not in _cache:
        rng = np.random.default_rng(n)
        g = rng.standard_normal((n, n))
        spd = g @ g.T + n * np.eye(n)
        b = rng.standard_normal((n, 1))
        dt = np.float64 if dtype == "f64" else np.float32
        _cache.clear()
        _cache[key] = (spd.astype(dt), g.astype(dt), b.astype(dt))
    return _cache[key]


def call(routine, n, dtype):
    spd, g, b = inputs(n, dtype)
    f = {
        "cholesky": lambda: np.linalg.cholesky(spd),
        "lu": lambda: np.linalg.solve(g, b),
        "qr": lambda: np.linalg.qr(g, mode="r"),
    }[routine]
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


FLOPS = {"cholesky": 1 / 3, "lu": 2 / 3, "qr": 4 / 3}


def main():
    if sys.argv[1:2] == ["--serve"]:
        for line in sys.stdin:
            routine, n, dtype = line.split()
            print(f"{call(routine, int(n), dtype):.9f}", flush=True)
        return
    for n in [int(x) for x in sys.argv[1:]] or [512, 1024, 2048]:
        for dtype in ("f64", "f32"):
            out = []
            for routine, c in FLOPS.items():
                ts = sorted(call(routine, n, dtype) for _ in range(5))
                out.append(f"{routine}={c * n**3 / ts[2] / 1e9:.1f}")
            print(n, dtype, " ".join(out))


if __name__ == "__main__":
    main()
