"""A training loop must not grow: each step's graph and saved arrays are freed by reference
counting alone (the garbage collector is switched off here, so a reference cycle would leak),
and 2,000 steps keep the process's memory within a small bound. A memory bound, not a timing."""

import gc

import numpy as np

import tinygrad_bn as tg
from tinygrad_bn.data import DataLoader, TensorDataset
from article_models import MLPWithBatchNorm
from batchnorm_comparison import train_model  # the article's training loop


def resident_mib():
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


def test_two_thousand_training_steps_do_not_grow_memory():
    tg.manual_seed(0)
    X, y = tg.randn(1024, 20), tg.randint(0, 5, (1024,))
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)  # 32 steps an epoch
    model = MLPWithBatchNorm(20, 64, 5)

    gc.collect()
    gc.disable()
    try:
        train_model(model, loader, epochs=7)  # warm-up: optimizer state, allocator pools
        before = resident_mib()
        losses = train_model(model, loader, epochs=63)  # 2,016 steps
        grown = resident_mib() - before
        unreachable_cycles = gc.collect()
    finally:
        gc.enable()
    assert grown < 4.0, f"memory grew by {grown:.1f} MiB over 2,016 steps"
    assert unreachable_cycles == 0, f"{unreachable_cycles} objects were only freeable by the GC"
    assert np.isfinite(losses).all()
