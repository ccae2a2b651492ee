"""Benchmark tinygrad_bn against a hand-written NumPy floor and PyTorch (when installed).

    python benchmarks/run.py [--workload W1|W1-noBN|W2|W3|W4|all] [--steps N] [--repeats R]
                             [--skip-memory] [--skip-article] [--skip-scaling]

W1-W3 train the same MLP the same way in every implementation (Adam lr 0.01, shuffled batches
from a data loader); W4 trains makemore's Transformer (``gpt.py``, AdamW) on batches of 32
made-up words, the same model code in tinygrad_bn and PyTorch and ``numpy_gpt.py`` by hand.
Steps are timed in one process, interleaved implementation by implementation, after a warm-up,
over several repeats; the table shows the median ms per step and ratios. Peak memory is
measured for each implementation in a subprocess of its own. Timings drift on a shared machine;
ratios taken in one run hold better. This is not part of the test suite. ``--skip-scaling`` also skips the step page's scaling table (``step_page_scaling.py``,
which runs each size in a fresh process).
"""

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
sys.path.insert(0, os.path.join(HERE, ".."))  # the checkout's tinygrad_bn, not an installed one

from gpt import (  # noqa: E402
    W4_CONFIG, gpt_model, gpt_optimizer, gpt_training_step, make_words,
)
from numpy_floor import NumpyMLP  # noqa: E402
from numpy_gpt import NumpyGPT  # noqa: E402
from numpy_plain import PlainNumpyMLP  # noqa: E402

WORKLOADS = {
    "W1": dict(sizes=(20, 64, 64, 5), batch=32, samples=1024, batchnorm=True, steps=200,
               about="the article: 20-64-64-5 MLP with BatchNorm1d, batch 32"),
    "W1-noBN": dict(sizes=(20, 64, 64, 5), batch=32, samples=1024, batchnorm=False, steps=200,
                    about="the article's MLP without BatchNorm, batch 32"),
    "W2": dict(sizes=(784, 512, 512, 10), batch=256, samples=8192, batchnorm=True, steps=20,
               about="784-512-512-10 MLP with BatchNorm1d, batch 256"),
    "W3": dict(sizes=(20, 64, 64, 5), batch=4096, samples=16384, batchnorm=True, steps=20,
               about="the article's MLP at batch 4096"),
    "W4": dict(gpt=W4_CONFIG, batch=32, samples=4096, steps=20,
               about="makemore's Transformer: 4 layers, width 64, 4 heads, block 16, vocab 27, "
                     "batch 32, AdamW"),
}
IMPLEMENTATIONS = ("numpy", "numpy (plain)", "tinygrad_bn", "tinygrad_bn (jit)", "torch")


def have_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def make_data(spec, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((spec["samples"], spec["sizes"][0])).astype(np.float32)
    y = rng.integers(0, spec["sizes"][-1], spec["samples"])
    return X, y


def make_step(implementation, spec, seed=0):
    """A function running one training step, fetching its batch from a shuffling loader."""
    if "gpt" in spec:
        return _gpt_step(implementation, spec, seed)
    X, y = make_data(spec, seed)
    if implementation.startswith("numpy"):
        floor = NumpyMLP if implementation == "numpy" else PlainNumpyMLP
        model = floor(spec["sizes"], spec["batchnorm"], np.random.default_rng(seed))
        batches = _numpy_batches(X, y, spec["batch"], np.random.default_rng(seed))
        return lambda: model.step(*next(batches))
    lib = _import(implementation)
    nn, optim = lib.nn, lib.optim
    lib.manual_seed(seed)
    model = _model(nn, spec)
    dataset = lib.utils.data.TensorDataset(lib.tensor(X), lib.tensor(y))
    if implementation == "torch":
        # PyTorch at its best: whole-batch indexing. Its default DataLoader fetches and collates
        # samples one by one, which alone costs ~60 ms per batch of 4096 here.
        data = lib.utils.data
        sampler = data.BatchSampler(data.RandomSampler(dataset), spec["batch"], drop_last=True)
        loader = data.DataLoader(dataset, sampler=sampler, batch_size=None)
    else:
        loader = lib.utils.data.DataLoader(dataset, batch_size=spec["batch"], shuffle=True,
                                           drop_last=True)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    batches = _forever(loader)
    train = _training_step(model, optimizer, criterion)
    if implementation.endswith("(jit)"):
        train = lib.jit(train)

    def step():
        return train(*next(batches)).item()

    return step


def _gpt_step(implementation, spec, seed):
    """W4's step, as makemore's training loop writes it, on batches of words drawn from a
    shuffled order (NumPy arrays, made into tensors for the libraries)."""
    config = spec["gpt"]
    X, Y = make_words(spec["samples"], config["block_size"], config["vocab_size"], seed)
    batches = _numpy_batches(X, Y, spec["batch"], np.random.default_rng(seed))
    if implementation == "numpy":
        model = NumpyGPT(**config, rng=np.random.default_rng(seed))
        return lambda: model.step(*next(batches))
    if implementation == "numpy (plain)":
        return None
    lib = _import(implementation)
    lib.manual_seed(seed)
    model = gpt_model(lib, **config)
    train = gpt_training_step(model, gpt_optimizer(lib, model))
    if implementation.endswith("(jit)"):
        train = lib.jit(train)

    def step():
        x, y = next(batches)
        return train(lib.tensor(x), lib.tensor(y)).item()

    return step


def _training_step(model, optimizer, criterion):
    """One training step on a batch, as a user writes it; returns the loss tensor."""

    def train(batch_x, batch_y):
        optimizer.zero_grad()
        loss = criterion(model(batch_x), batch_y)
        loss.backward()
        optimizer.step()
        return loss

    return train


def _import(implementation):
    """The library an implementation runs on (``tinygrad_bn (jit)`` is tinygrad_bn)."""
    if implementation == "torch":
        import torch
        import torch.utils.data  # noqa: F401

        if os.environ.get("OMP_NUM_THREADS", "").isdigit():  # as for NumPy's BLAS
            torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
        return torch
    import tinygrad_bn

    return tinygrad_bn


def _model(nn, spec):
    sizes, batchnorm = spec["sizes"], spec["batchnorm"]
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1]):
        layers.append(nn.Linear(fan_in, fan_out, bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm1d(fan_out))
        layers.append(nn.ReLU())
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


def _forever(loader):
    while True:
        yield from loader


def _numpy_batches(X, y, batch, rng):
    while True:
        order = rng.permutation(len(y))
        for start in range(0, len(y) - batch + 1, batch):
            index = order[start:start + batch]
            yield X[index], y[index]


def time_steps(workload, implementations, steps, repeats):
    """Median ms per step for each implementation, measured interleaved, and the median over
    repeats of each one's ratio to the NumPy floor timed next to it (robust to the machine's
    speed drifting between repeats)."""
    spec = WORKLOADS[workload]
    step_functions = {name: make_step(name, spec) for name in implementations}
    step_functions = {name: step for name, step in step_functions.items() if step is not None}
    for step in step_functions.values():  # warm-up: first-call costs, caches, allocator
        for _ in range(max(5, steps // 5)):
            step()
    samples = {name: [] for name in step_functions}
    for _ in range(repeats):
        for name, step in step_functions.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            samples[name].append((time.perf_counter() - start) / steps * 1e3)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    ratios = {name: statistics.median(a / b for a, b in zip(values, samples["numpy"]))
              for name, values in samples.items()}
    return medians, ratios


def peak_memory(workload, implementation, steps):
    """Peak RSS (MiB) of a fresh process running the workload, and its growth from the moment
    the model and data were ready to the end of training."""
    result = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", implementation, "--workload",
         workload, "--steps", str(steps)],
        capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(implementation, workload, steps):
    step = make_step(implementation, WORKLOADS[workload])
    step()
    ready = _memory_mib("VmRSS")
    collections = []
    gc.callbacks.append(lambda phase, info: collections.append(1) if phase == "start" else None)
    for _ in range(steps):
        step()
    print(json.dumps({"peak_mib": _memory_mib("VmHWM"), "growth_mib": _memory_mib("VmRSS") - ready,
                      "gc_collections": len(collections)}))


def _memory_mib(field):
    """Resident memory now (VmRSS) or at its peak (VmHWM) for this process's own address space
    (``ru_maxrss`` would carry the parent's peak over from before the exec)."""
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def article_comparison_seconds(implementation):
    """The article's whole comparison (both MLPs, 50 epochs of 1,000 samples, batch 32)."""
    lib = _import(implementation)
    nn, optim = lib.nn, lib.optim
    lib.manual_seed(42)
    X, y = lib.randn(1000, 20), lib.randint(0, 5, (1000,))
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(X, y), batch_size=32,
                                       shuffle=True)
    start = time.perf_counter()
    for batchnorm in (True, False):
        lib.manual_seed(42)
        model = _model(nn, dict(sizes=(20, 64, 64, 5), batchnorm=batchnorm))
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        train = _training_step(model, optimizer, nn.CrossEntropyLoss())
        if implementation.endswith("(jit)"):  # two plans: batches of 32 and the last of 8
            train = lib.jit(train)
        for _ in range(50):
            model.train()
            for batch_x, batch_y in loader:
                train(batch_x, batch_y).item()
    return time.perf_counter() - start


def chain_backward_ms(length):
    """Backward time through a chain of ``length`` multiplications (graph-size scaling)."""
    import tinygrad_bn as tg

    x = tg.tensor([1.0], dtype=tg.float64, requires_grad=True)
    y = x
    for _ in range(length):
        y = y * 1.0000001
    start = time.perf_counter()
    y.backward()
    return (time.perf_counter() - start) * 1e3


def draw_chain_seconds(length):
    """Time to draw (build the DOT source of) a chain of ``length`` multiplications; above
    ``max_nodes`` the drawing keeps the nodes nearest the output."""
    import tinygrad_bn as tg

    y = tg.tensor([1.0], requires_grad=True)
    for _ in range(length):
        y = y * 1.0000001
    start = time.perf_counter()
    tg.viz.draw_graph(y).source  # noqa: B018 - building the source is the work timed
    return time.perf_counter() - start


def draw_module_calls_seconds(calls):
    """Time to draw a model of ``calls`` Linear module calls, each a cluster, collapsed to one
    node per module for size."""
    import tinygrad_bn as tg

    model = tg.nn.Sequential(*[tg.nn.Linear(2, 2) for _ in range(calls)])
    out = model(tg.ones(1, 2)).sum()
    start = time.perf_counter()
    tg.viz.draw_graph(out, model=model).source  # noqa: B018
    return time.perf_counter() - start


def machine_line():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as file:
            cpu = next(line.split(":", 1)[1].strip() for line in file if "model name" in line)
    except (OSError, StopIteration):
        pass
    import numpy

    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"NumPy {numpy.__version__}" + (f", PyTorch {_import('torch').__version__}"
                                            if have_torch() else ", PyTorch not installed"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="all", choices=[*WORKLOADS, "all"])
    parser.add_argument("--steps", type=int, default=None, help="steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-article", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--child", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--implementations", nargs="+", choices=IMPLEMENTATIONS,
                        default=list(IMPLEMENTATIONS), help="which to time (the floor always)")
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.workload, args.steps)

    implementations = [i for i in IMPLEMENTATIONS if (i != "torch" or have_torch())
                       and (i in args.implementations or i == "numpy")]
    workloads = list(WORKLOADS) if args.workload == "all" else [args.workload]
    print(f"# {time.strftime('%Y-%m-%d')} on {machine_line()}")
    print(f"# ms per training step: median of {args.repeats} interleaved repeats; ratios: median "
          "of the per-repeat ratios")
    print("| workload | NumPy floor | NumPy (plain) | tinygrad_bn | tinygrad_bn (jit) | PyTorch | "
          "tinygrad_bn / floor | jit / floor | jit / plain NumPy | tinygrad_bn / PyTorch | "
          "jit / PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for workload in workloads:
        steps = args.steps or WORKLOADS[workload]["steps"]
        ms, to_floor = time_steps(workload, implementations, steps, args.repeats)
        cells = [f"{ms[name]:.3f}" if name in ms else "-" for name in
                 ("numpy", "numpy (plain)", "tinygrad_bn", "tinygrad_bn (jit)", "torch")]
        ratios = [f"{to_floor[name]:.2f}x" if name in ms else "-"
                  for name in ("tinygrad_bn", "tinygrad_bn (jit)")]
        ratios.append("-" if "numpy (plain)" not in ms or "tinygrad_bn (jit)" not in ms else
                      f"{to_floor['tinygrad_bn (jit)'] / to_floor['numpy (plain)']:.2f}x")
        for name in ("tinygrad_bn", "tinygrad_bn (jit)"):
            ratios.append("-" if "torch" not in ms or name not in ms else
                          f"{to_floor[name] / to_floor['torch']:.2f}x")
        print(f"| {workload} | " + " | ".join(cells + ratios) + " |", flush=True)

    if not args.skip_memory:
        print("\n| workload | implementation | peak RSS MiB | RSS growth over the run MiB | "
              "garbage collections during the run |")
        print("|---|---|---|---|---|")
        for workload in workloads:
            steps = args.steps or WORKLOADS[workload]["steps"] * 3
            for name in implementations:
                if name == "numpy (plain)" and "gpt" in WORKLOADS[workload]:
                    continue  # W4 has only the floor
                memory = peak_memory(workload, name, steps)
                print(f"| {workload} | {name} | {memory['peak_mib']:.0f} | "
                      f"{memory['growth_mib']:+.1f} | {memory['gc_collections']} |", flush=True)

    if not args.skip_article:
        print("\n| the article's whole comparison (2 x 50 epochs) | seconds |")
        print("|---|---|")
        for name in implementations:
            if not name.startswith("numpy"):
                print(f"| {name} | {article_comparison_seconds(name):.2f} |", flush=True)

    if not args.skip_scaling:
        print("\n| chain length (ops) | backward ms | microseconds per op |")
        print("|---|---|---|")
        for length in (1_000, 10_000, 100_000):
            ms = chain_backward_ms(length)
            print(f"| {length:,} | {ms:.1f} | {ms * 1e3 / length:.2f} |", flush=True)
        draw_chain_seconds(10)  # imports and first-call costs out of the table
        print("\n| graph drawn | size | seconds | microseconds per unit |")
        print("|---|---|---|---|")
        for length in (12_500, 25_000, 50_000, 100_000):
            seconds = draw_chain_seconds(length)
            print(f"| chain of ops | {length:,} | {seconds:.2f} | {seconds * 1e6 / length:.1f} |",
                  flush=True)
        for calls in (300, 600, 1_200, 2_400):
            seconds = draw_module_calls_seconds(calls)
            print(f"| module calls | {calls:,} | {seconds:.2f} | {seconds * 1e6 / calls:.1f} |",
                  flush=True)
        print("\nThe step-by-step page (step_page_scaling.py):", flush=True)
        import step_page_scaling  # noqa: PLC0415 - a sibling script, run only here
        step_page_scaling.main([])


if __name__ == "__main__":
    main()
