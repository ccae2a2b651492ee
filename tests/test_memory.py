"""A training loop must not grow: each step's graph and saved arrays are freed by reference
counting alone (the garbage collector is switched off here, so a reference cycle would leak),
and 2,000 steps keep the process's memory within a small bound. A memory bound, not a timing."""

import gc

import numpy as np

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.data import DataLoader, TensorDataset
from article_models import MLPWithBatchNorm


def resident_mib():
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


def test_two_thousand_training_steps_do_not_grow_memory():
    tg.manual_seed(0)
    X, y = tg.randn(1024, 20), tg.randint(0, 5, (1024,))
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    model = MLPWithBatchNorm(20, 64, 5)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()

    def train(steps):
        done = 0
        while done < steps:
            for batch_x, batch_y in loader:
                optimizer.zero_grad()
                loss = criterion(model(batch_x), batch_y)
                loss.backward()
                optimizer.step()
                loss.item()
                done += 1

    gc.collect()
    gc.disable()
    try:
        train(200)  # warm-up: optimizer state, allocator pools
        before = resident_mib()
        train(2000)
        grown = resident_mib() - before
        unreachable_cycles = gc.collect()
    finally:
        gc.enable()
    assert grown < 4.0, f"memory grew by {grown:.1f} MiB over 2,000 steps"
    assert unreachable_cycles == 0, f"{unreachable_cycles} objects were only freeable by the GC"
    assert np.isfinite(model.fc3.weight.data).all()
