"""Time W4's eager step with some functions of the checkout (A) against their versions in another
tree (B), alternating step by step in one process: a comparison that holds on a loaded machine,
where whole runs drift by 10% and more between one run and the next.

    python benchmarks/paired_steps.py OLD_TREE tinygrad_bn.autograd.graph:Op.apply \\
        tinygrad_bn.ops.normalization:LayerNorm.backward [--steps N]

Each ``module:Name`` or ``module:Class.method`` is read from ``OLD_TREE``'s copy of the module's
file and defined again in the checkout's module namespace (decorators included), so the old
function runs against the new code around it: compare functions whose callers and callees did
not change. Even steps run A, odd steps B; the report gives each phase's median CPU time
(``time.thread_time``, which a busy machine inflates less than the wall clock) and the median
of the ratios of neighbouring A and B steps.
"""

import argparse
import ast
import importlib
import os
import statistics
import sys
import textwrap
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # the checkout's tinygrad_bn, not an installed one

import numpy as np  # noqa: E402

import tinygrad_bn as lib  # noqa: E402
from gpt import W4_CONFIG, gpt_model, gpt_optimizer, make_words  # noqa: E402


def old_definition(old_tree, spec, namespaces):
    """``(owner, name, current, old)`` for ``spec`` (``module:Name`` or ``module:Class.name``).
    Old definitions from one module share one namespace (``namespaces[module]``), so that an
    old function calls the old versions of the other functions named from its module."""
    module_name, qualified = spec.split(":")
    module = importlib.import_module(module_name)
    path = os.path.join(old_tree, *module_name.split(".")) + ".py"
    with open(path) as file:
        source = file.read()
    node, owner, parts = ast.parse(source), module, qualified.split(".")
    for depth, name in enumerate(parts):
        node = next(n for n in ast.iter_child_nodes(node) if getattr(n, "name", None) == name)
        if depth < len(parts) - 1:
            owner = getattr(owner, name)
    first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    text = textwrap.dedent("\n".join(source.splitlines()[first - 1:node.end_lineno]))
    namespace = namespaces.setdefault(module_name, dict(vars(module)))
    exec(text, namespace)
    current = vars(owner)[parts[-1]]
    return owner, parts[-1], current, namespace[parts[-1]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_tree")
    parser.add_argument("functions", nargs="+")
    parser.add_argument("--steps", type=int, default=100, help="steps of each of A and B")
    args = parser.parse_args(argv)
    namespaces = {}
    swaps = [old_definition(args.old_tree, spec, namespaces) for spec in args.functions]

    X, Y = make_words(4096, W4_CONFIG["block_size"], W4_CONFIG["vocab_size"])
    rng = np.random.default_rng(0)
    lib.manual_seed(0)
    model = gpt_model(lib, **W4_CONFIG)
    optimizer = gpt_optimizer(lib, model)
    clock = time.thread_time_ns
    phases = ("forward", "backward", "whole step")
    times = {side: {phase: [] for phase in phases} for side in "AB"}
    for number in range(2 * args.steps + 4):
        side = "AB"[number % 2]
        for owner, name, current, old in swaps:
            setattr(owner, name, current if side == "A" else old)
        rows = rng.integers(0, len(X), 32)
        x, y = lib.tensor(X[rows]), lib.tensor(Y[rows])
        start = clock()
        _, loss = model(x, y)
        forward_end = clock()
        model.zero_grad(set_to_none=True)
        backward_start = clock()
        loss.backward()
        backward_end = clock()
        optimizer.step()
        end = clock()
        if number >= 4:  # after a warm-up of two steps each
            times[side]["forward"].append(forward_end - start)
            times[side]["backward"].append(backward_end - backward_start)
            times[side]["whole step"].append(end - start)
    for phase in phases:
        a, b = times["A"][phase], times["B"][phase]
        ratio = statistics.median(x / y for x, y in zip(a, b))
        print(f"{phase:10s} A {statistics.median(a) / 1e3:8.0f} us   B "
              f"{statistics.median(b) / 1e3:8.0f} us   paired A/B {ratio:.4f}")


if __name__ == "__main__":
    main()
