"""What the training peers (`numpy_train.py`, `torch_train.py`) share,
imported from this directory: MNIST's IDX files (gzip'd or not) and the
timing of steps as `examples/train_vs_peers` times its own."""
import gzip
import os
import struct
import sys
import time


def read_idx(path, np):
    """The array an IDX file holds, as numpy's uint8 (`np` is numpy)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = struct.unpack(">" + "I" * data[3], data[4 : 4 + 4 * data[3]])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * data[3]).reshape(dims)


def find(data_dir, name):
    """`name` or `name.gz` in `data_dir`; exits with one line if neither is."""
    for candidate in (name + ".gz", name):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    sys.exit(f"error: {name}(.gz) not found in {data_dir}")


def time_steps(step, steps, batch):
    """Runs `step(i)` 5 times untimed, then `steps` times timed, and prints
    the line `examples/train_vs_peers` reads:
    `samples_per_second=<n> steps=<n> seconds=<s>`."""
    for i in range(5):
        step(i)
    start = time.perf_counter()
    for i in range(steps):
        step(5 + i)
    seconds = time.perf_counter() - start
    print(f"samples_per_second={steps * batch / seconds:.1f} steps={steps} seconds={seconds:.3f}")
