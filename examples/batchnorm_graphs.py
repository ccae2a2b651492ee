"""Fused against derived: the same batch normalization drawn as one fused node and as the
primitive ops autograd differentiates one by one, with the same gradients.

``nn.BatchNorm1d(3)`` records one ``BatchNorm`` node whose backward is the closed form;
``nn.BatchNorm1d(3, fused=False)`` records the article's six steps (mean, centre, variance,
``+ eps``, square root, divide, scale and shift). In the derived graph the batch ``x`` feeds
both ``Sub`` and the ``Mean`` whose result every row of ``Sub`` reads, so every input reaches
every output through the shared statistics: that is why the closed-form gradient of one input
depends on the whole batch.

    python examples/batchnorm_graphs.py [--out DIR]

writes DIR/batchnorm_fused.svg, DIR/batchnorm_derived.svg and DIR/batchnorm_fused_vs_derived.svg
(both side by side) and prints the largest difference between the two gradients.
"""

import html
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np

from _shared import cli
import tinygrad_bn as tg
from tinygrad_bn import nn, viz


class Normalise(nn.Module):
    """One BatchNorm1d layer, so that the drawing names it ``bn`` and draws its cluster."""

    def __init__(self, fused):
        super().__init__()
        self.bn = nn.BatchNorm1d(3, fused=fused)

    def forward(self, x):
        return self.bn(x)


def step(fused, seed=0):
    """A batch of 4 through the layer, a weighted sum as the loss, drawn after backward.
    Returns the graph and the batch's gradient."""
    tg.manual_seed(seed)
    x = tg.randn(4, 3, requires_grad=True)
    weights = tg.randn(4, 3)  # a plain sum would give zero gradients (outputs sum to 0)
    model = Normalise(fused)
    loss = (model(x) * weights).sum()
    graph = viz.draw_graph(loss, model=model, names={"x": x, "weights": weights, "loss": loss},
                           style="slide", rankdir="TB", backward=True)
    return graph, x.grad.numpy()


def side_by_side(svgs, titles, footer):
    """One SVG holding the given SVG pictures left to right, each under its title."""
    sizes = [tuple(float(v) for v in re.search(
        r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', svg).groups()) for svg in svgs]
    gap, top, bottom = 40, 40, 40
    width = sum(w for w, _ in sizes) + gap * (len(svgs) + 1)
    height = max(h for _, h in sizes) + top + bottom
    parts, x = ['<rect width="100%" height="100%" fill="white"/>'], gap
    for svg, (w, h), title in zip(svgs, sizes, titles):
        element = svg[svg.index("<svg"):]
        element = re.sub(r'\bid="', f'id="p{x:.0f}_', element)
        # sized in this picture's units (points), not in CSS points inside it
        element = re.sub(r'^(<svg[^>]*?width="[\d.]+)pt("[^>]*?height="[\d.]+)pt"', r'\1\2"',
                         element, count=1)
        parts.append(f'<text x="{x:.0f}" y="26" font-family="Helvetica, Arial, sans-serif" '
                     f'font-size="16" font-weight="bold">{html.escape(title)}</text>')
        parts.append(re.sub(r"^<svg", f'<svg x="{x:.0f}" y="{top}"', element, count=1))
        x += w + gap
    parts.append(f'<text x="{gap}" y="{height - 14:.0f}" font-family="Helvetica, Arial, '
                 f'sans-serif" font-size="14">{html.escape(footer)}</text>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink" width="{width:.0f}pt" '
            f'height="{height:.0f}pt" viewBox="0 0 {width:.0f} {height:.0f}">\n'
            + "\n".join(parts) + "\n</svg>\n")


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--out", default="out", metavar="DIR", help="folder for the pictures")
    args = parser.parse_args(argv)
    fused_graph, fused_grad = step(fused=True)
    derived_graph, derived_grad = step(fused=False)
    difference = float(np.abs(fused_grad - derived_grad).max())
    print(f"largest difference between the fused and the derived dL/dx: {difference:.2e}")
    svgs = []
    for name, graph in (("batchnorm_fused", fused_graph), ("batchnorm_derived", derived_graph)):
        path = viz.render(graph, os.path.join(args.out, f"{name}.svg"))
        print(f"wrote {path}")
        with open(path, encoding="utf-8") as file:
            svgs.append(file.read())
    combined = side_by_side(
        svgs, ["fused: one BatchNorm node, closed-form backward",
               "derived: primitive ops, autograd through each"],
        f"Same batch, same parameters: dL/dx agrees to {difference:.1e}. In the derived graph "
        "x feeds Mean and Sub: every input reaches every output through the shared mean and "
        "variance.")
    path = os.path.join(args.out, "batchnorm_fused_vs_derived.svg")
    with open(path, "w", encoding="utf-8") as file:
        file.write(combined)
    print(f"wrote {path}")
    return {"difference": difference, "fused_grad": fused_grad, "derived_grad": derived_grad}


if __name__ == "__main__":
    main()
