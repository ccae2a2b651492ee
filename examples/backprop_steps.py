"""Backpropagation step by step, as pages to click through: micrograd's classic scalar
expression ``L = relu(a * b + c) * f`` and one training step of the article's MLP with
BatchNorm. Each page has one frame per op, in the order the engine processes them.

    python examples/backprop_steps.py [--out DIR] [--frames]

writes DIR/backprop_scalar.html and DIR/backprop_mlp.html (default DIR: out/), each one file
that opens offline in any browser; ``--frames`` also writes the frames as numbered SVG files
into DIR/backprop_scalar/ and DIR/backprop_mlp/.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _shared import cli
from _shared.article_models import MLPWithBatchNorm
from _shared.micrograd_expression import micrograd_expression

import tinygrad_bn as tg
from tinygrad_bn import nn, viz


def scalar_steps():
    """micrograd's expression: four ops, every value and gradient a number."""
    names = micrograd_expression()
    return viz.backward_steps(names["L"], names=names)


def mlp_steps():
    """One step of the article's MLP (20 -> 64 -> 64 -> 5, BatchNorm) on a batch of 32, drawn
    compactly (each op with its result) so that the whole network fits the window."""
    tg.manual_seed(42)
    model = MLPWithBatchNorm(input_dim=20, hidden_dim=64, output_dim=5)
    x, y = tg.randn(32, 20), tg.randint(0, 5, (32,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    return viz.backward_steps(loss, model=model, names={"x": x, "y": y, "loss": loss},
                              style="slide")


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--out", default="out", metavar="DIR", help="folder for the pages")
    parser.add_argument("--frames", action="store_true",
                        help="also write each frame as a numbered SVG file")
    args = parser.parse_args(argv)
    pages = {}
    for name, steps in (("backprop_scalar", scalar_steps()), ("backprop_mlp", mlp_steps())):
        page = viz.render_steps(steps, os.path.join(args.out, f"{name}.html"))
        print(f"wrote {page.files[0]} ({len(steps)} steps)")
        if args.frames:
            files = viz.render_steps(steps, os.path.join(args.out, name)).files
            print(f"wrote {len(files)} frames into {os.path.join(args.out, name)}")
        pages[name] = page
    return pages


if __name__ == "__main__":
    main()
