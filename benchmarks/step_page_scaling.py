"""How the step player scales with the graph: time, bytes and peak memory of
``viz.backward_steps`` + ``viz.render_steps(steps, "page.html")`` against the number of ops,
for a chain (Mul and Tanh, one after the other) and an MLP (Linear and ReLU modules, each a
cluster), with Graphviz's ``dot`` timed on its own.

    python benchmarks/step_page_scaling.py [--ops 10,50,200,1000] [--kinds chain,mlp]
                                           [--timeout 600]

Each size runs in a fresh process, twice: once timed, once under ``tracemalloc`` (which slows
Python down) for the peak of Python's allocations. ``dot`` runs as a subprocess: its wall time
is measured around ``graphviz``'s ``pipe``, its CPU time and peak resident size are those of
the process's children (on a shared machine, CPU seconds are the steadier figure). Prints one
Markdown table; a size that does not finish within ``--timeout`` seconds is reported as such.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_output(kind, ops):
    """A scalar whose backward pass has ``ops`` ops, and the model that names its parameters
    (None for the chain)."""
    import tinygrad_bn as tg
    from tinygrad_bn import nn

    tg.manual_seed(0)
    if kind == "chain":
        h = tg.tensor([0.5, -0.3], requires_grad=True)
        for index in range(ops - 1):
            h = h * 1.01 if index % 2 == 0 else h.tanh()
        return h.sum(), None
    layers = []
    for _ in range((ops - 1) // 2):
        layers += [nn.Linear(4, 4), nn.ReLU()]
    model = nn.Sequential(*layers)
    return model(tg.randn(3, 4)).sum(), model


class DotClock:
    """Time spent in ``graphviz``'s ``pipe`` (running ``dot``), summed over calls."""

    def __init__(self):
        import graphviz

        self.seconds, self.calls = 0.0, 0
        original = graphviz.Digraph.pipe

        def timed(graph, *args, **kwargs):
            start = time.perf_counter()
            try:
                return original(graph, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        graphviz.Digraph.pipe = timed


def measure(kind, ops, traced):
    """One size: seconds (total, in ``dot``, backward_steps alone), page bytes, and with
    ``traced`` the peak of Python's allocations instead of times."""
    from tinygrad_bn import viz

    output, model = make_output(kind, ops)
    clock = DotClock()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    steps = viz.backward_steps(output, model=model, max_ops=10 ** 9)
    stepped = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        page = viz.render_steps(steps, os.path.join(folder, "page.html"))
        size = os.path.getsize(page.files[0])
    end = time.perf_counter()
    result = {"kind": kind, "ops": len(steps), "bytes": size}
    if traced:
        result["python_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        result.update(seconds=end - start, steps_seconds=stepped - start,
                      dot_seconds=clock.seconds, dot_calls=clock.calls,
                      dot_cpu_seconds=_children_cpu_seconds(),
                      dot_peak_rss=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
    return result


def _children_cpu_seconds():
    """CPU seconds of this process's finished children: every ``dot`` it ran."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_one(kind, ops, traced, timeout):
    """``measure`` in a fresh process; None when it does not finish within ``timeout``."""
    command = [sys.executable, os.path.abspath(__file__), "--one", kind, str(ops)]
    if traced:
        command.append("--traced")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=True,
                              timeout=timeout, env=environment)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.splitlines()[-1])


def table(rows):
    lines = ["| graph | ops | total s | dot s (runs) | dot CPU s | backward_steps s | page MB "
             "| Python peak MB (tracemalloc) | dot peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for kind, ops, timed, traced in rows:
        if timed is None:
            lines.append(f"| {kind} | {ops} | did not finish | | | | | | |")
            continue
        peak = f"{traced['python_peak'] / 1e6:.1f}" if traced else "did not finish"
        lines.append(
            f"| {kind} | {timed['ops']} | {timed['seconds']:.2f} | {timed['dot_seconds']:.2f} "
            f"({timed['dot_calls']}) | {timed['dot_cpu_seconds']:.2f} | "
            f"{timed['steps_seconds']:.2f} | "
            f"{timed['bytes'] / 1e6:.2f} | {peak} | {timed['dot_peak_rss'] / 1e6:.0f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", default="10,50,200,1000",
                        help="comma-separated numbers of ops (default: 10,50,200,1000)")
    parser.add_argument("--kinds", default="chain,mlp", help="chain, mlp or both")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds one size may take before it is given up")
    parser.add_argument("--one", nargs=2, metavar=("KIND", "OPS"), help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.traced)))
        return None
    rows = []
    for kind in args.kinds.split(","):
        for ops in (int(text) for text in args.ops.split(",")):
            timed = run_one(kind, ops, False, args.timeout)
            traced = run_one(kind, ops, True, args.timeout) if timed is not None else None
            rows.append((kind, ops, timed, traced))
            print(f"{kind} {ops}: done", file=sys.stderr, flush=True)
    print(table(rows))
    return rows


if __name__ == "__main__":
    main()
