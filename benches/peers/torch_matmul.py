#!/usr/bin/env python3
"""PyTorch's CPU matmul (oneDNN), timed as `examples/gemm` times matnet.

usage: python3 benches/peers/torch_matmul.py THREADS KIND M K N DTYPE
  KIND: NN, AtB (A stored transposed) or ABt (B stored transposed), as in
  examples/gemm; DTYPE: f32, f64, bf16 or f16 (torch.float32,
  torch.float64, torch.bfloat16, torch.float16; a half-precision product returns half precision, as
  torch.matmul does). Prints one figure: GFLOP/s, best of 5 batches of
  back-to-back products. `examples/gemm --peer torch` runs it beside each
  of its own measurements.
"""
import sys
import time

import torch


def main():
    threads, kind, m, k, n, dtype = sys.argv[1:7]
    threads, m, k, n = int(threads), int(m), int(k), int(n)
    dt = {"f32": torch.float32, "f64": torch.float64, "bf16": torch.bfloat16, "f16": torch.float16}[dtype]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    a = (torch.rand(k, m) * 2 - 1).to(dt).t() if kind == "AtB" else (torch.rand(m, k) * 2 - 1).to(dt)
    b = (torch.rand(n, k) * 2 - 1).to(dt).t() if kind == "ABt" else (torch.rand(k, n) * 2 - 1).to(dt)
    flop = 2.0 * m * n * k
    reps = max(3, int(2e9 / flop))
    torch.matmul(a, b)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps):
            torch.matmul(a, b)
        best = min(best, (time.perf_counter() - t) / reps)
    print(f"{flop / best / 1e9:.1f}")


if __name__ == "__main__":
    main()
