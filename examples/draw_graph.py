"""Draw two computation graphs as SVG files: a few scalar operations with their values and
gradients, and one training step of the article's MLP with BatchNorm, grouped by module.

    python examples/draw_graph.py [--out DIR]      # writes DIR/scalar_graph.svg, DIR/mlp_step.svg
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tinygrad_bn as tg  # noqa: E402
from tinygrad_bn import nn, optim, viz  # noqa: E402
from article_models import MLPWithBatchNorm  # noqa: E402


def scalar_graph():
    """micrograd's classic: L = relu(a * b + c) * f, every value and gradient shown."""
    a = tg.tensor(2.0, requires_grad=True)
    b = tg.tensor(-3.0, requires_grad=True)
    c = tg.tensor(10.0, requires_grad=True)
    f = tg.tensor(-2.0, requires_grad=True)
    e = a * b
    d = e + c
    L = d.relu() * f
    viz.retain_grads(L)  # keep the intermediate gradients for the picture
    L.backward()
    return viz.draw_graph(L, names={"a": a, "b": b, "c": c, "f": f, "e": e, "d": d, "L": L},
                          show_values=True)


def training_step_graph():
    """One Adam step of the article's MLP on a batch of 32, drawn after backward."""
    tg.manual_seed(42)
    model = MLPWithBatchNorm(input_dim=20, hidden_dim=64, output_dim=5)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    x, y = tg.randn(32, 20), tg.randint(0, 5, (32,))
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x), y)
    viz.retain_grads(loss)
    loss.backward()
    optimizer.step()
    return viz.draw_graph(loss, model=model, names={"x": x, "y": y, "loss": loss},
                          rankdir="TB")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="folder for the SVG files (default: out/)")
    args = parser.parse_args(argv)
    for name, graph in (("scalar_graph", scalar_graph()), ("mlp_step", training_step_graph())):
        path = viz.render(graph, os.path.join(args.out, f"{name}.svg"))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
