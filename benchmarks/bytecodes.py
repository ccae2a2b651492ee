"""Count the Python bytecodes one W4 training step executes, by phase, and (with ``--top N``)
the functions that execute the most: a measure of eager mode's bookkeeping that does not move
with the machine's load, as a timing does.

    python benchmarks/bytecodes.py [--phase forward|zero_grad|backward|step] [--top N]

The model is W4's Transformer at width 8 and batch 2, where the arrays cost next to nothing and
what is left is the Python around them. ``sys.settrace`` with opcode events counts every
bytecode of every Python frame (NumPy's C code is not counted); tracing is slow, so one step
is counted, after three untraced ones.
"""

import argparse
import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))  # the checkout's tinygrad_bn, not an installed one

import tinygrad_bn as lib  # noqa: E402
from gpt import gpt_model, gpt_optimizer, make_words  # noqa: E402

PHASES = ("forward", "zero_grad", "backward", "step")


def count(top_phase=None):
    """``(bytecodes per phase, bytecodes per function of top_phase)`` for one step."""
    x, y = make_words(2, 16, 27)
    x, y = lib.tensor(x), lib.tensor(y)
    lib.manual_seed(0)
    model = gpt_model(lib, vocab_size=27, block_size=16, n_layer=4, n_head=4, n_embd=8)
    optimizer = gpt_optimizer(lib, model)
    phase = [None]
    per_phase, per_function = collections.Counter(), collections.Counter()

    def tracer(frame, event, arg):
        if event == "call":
            frame.f_trace_opcodes = True
        elif event == "opcode" and phase[0] is not None:
            per_phase[phase[0]] += 1
            if phase[0] == top_phase:
                code = frame.f_code
                where = "/".join(code.co_filename.split(os.sep)[-2:])
                per_function[f"{where}:{code.co_firstlineno} {code.co_name}"] += 1
        return tracer

    def train_step():
        phase[0] = "forward"
        _, loss = model(x, y)
        phase[0] = "zero_grad"
        model.zero_grad(set_to_none=True)
        phase[0] = "backward"
        loss.backward()
        phase[0] = "step"
        optimizer.step()
        phase[0] = None

    for _ in range(3):
        train_step()
    sys.settrace(tracer)
    try:
        train_step()
    finally:
        sys.settrace(None)
    return per_phase, per_function


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", choices=PHASES, default="forward")
    parser.add_argument("--top", type=int, default=0, help="list the N busiest functions")
    args = parser.parse_args(argv)
    per_phase, per_function = count(args.phase if args.top else None)
    print(" ".join(f"{name} {per_phase[name]}" for name in PHASES),
          f"total {sum(per_phase.values())}")
    for name, number in per_function.most_common(args.top):
        print(f"{number:8d}  {name}")


if __name__ == "__main__":
    main()
