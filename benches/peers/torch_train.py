#!/usr/bin/env python3
"""PyTorch's side of `examples/train_vs_peers`: training steps of a network
on MNIST with PyTorch's CPU build, timed the way the Rust side times its
own.

usage: torch_train.py DATA_DIR NET STEPS BATCH THREADS [SEED]

NET is `cnn` (PyTorch's MNIST example network: conv 1->32 3x3, ReLU, conv
32->64 3x3, ReLU, max-pool 2, dropout 0.25, dense 9216->128, ReLU, dropout
0.5, dense 10; inputs normalised with mean 0.1307 and std 0.3081) or
`lenet` (LeNet-5's shape: conv 1->6 5x5 padding 2, ReLU, max-pool 2, conv
6->16 5x5, ReLU, max-pool 2, dense 400-120-84-10 with ReLU), both
trained with Adadelta (lr 1.0) on the loss of log-softmax, as PyTorch's
example does; or `mlp` (`mnist`'s default network: dense 784-800-10 with
ReLU, SGD with momentum 0.9 and lr 0.05, cross-entropy). The data is
read from the IDX files (gzip'd or not) into tensors first, so the figure
is the framework's compute, not an input pipeline.
After 5 untimed warm-up steps, STEPS steps on shuffled batches are timed;
the last line is `samples_per_second=<n> steps=<n> seconds=<s>`.
"""
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from peer_support import find, read_idx, time_steps


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = F.dropout(x, 0.25, self.training).flatten(1)
        x = F.dropout(F.relu(self.fc1(x)), 0.5, self.training)
        return F.log_softmax(self.fc2(x), dim=1)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 800)
        self.fc2 = nn.Linear(800, 10)

    def forward(self, x):
        return F.log_softmax(self.fc2(F.relu(self.fc1(x.flatten(1)))), dim=1)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
        x = F.relu(self.fc2(F.relu(self.fc1(x))))
        return F.log_softmax(self.fc3(x), dim=1)


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    data_dir, net, steps, batch, threads = sys.argv[1:6]
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    steps, batch = int(steps), int(batch)
    torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    images = read_idx(find(data_dir, "train-images-idx3-ubyte"), np).astype(np.float32) / 255
    labels = read_idx(find(data_dir, "train-labels-idx1-ubyte"), np).astype(np.int64)
    if net == "cnn":
        images = (images - 0.1307) / 0.3081
        model = Cnn()
    elif net == "lenet":
        model = LeNet()
    elif net == "mlp":
        model = Mlp()
    else:
        sys.exit(f"error: unknown network {net!r} (cnn, lenet or mlp)")
    x = torch.from_numpy(images).unsqueeze(1)
    y = torch.from_numpy(labels)
    if net == "mlp":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    model.train()
    perm = torch.randperm(len(x))

    def step(i):
        j = perm[(i * batch) % (len(x) - batch) :][:batch]
        opt.zero_grad(set_to_none=True)
        F.nll_loss(model(x[j]), y[j]).backward()
        opt.step()

    time_steps(step, steps, batch)


if __name__ == "__main__":
    main()
