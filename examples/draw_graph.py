"""Draw the computation graphs in ``docs/``: a few scalar operations with their values and
gradients, the README's training step (its snippet, line for line), one training step of the
article's MLP with BatchNorm in the slide style (fits a 1920 x 1080 slide), and the same MLP
8 and 32 blocks deep, whose repeated blocks fold so that they fit a slide too.

    python examples/draw_graph.py [--out DIR] [--png]

writes DIR/scalar_graph.svg, DIR/training_step.svg, DIR/article_mlp_slide.svg,
DIR/mlp_depth8_slide.svg and DIR/mlp_depth32_slide.svg (default DIR: out/); ``--png`` adds a
PNG of each.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _shared import cli
from _shared.article_models import MLP, MLPWithBatchNorm
from _shared.micrograd_expression import micrograd_expression

import tinygrad_bn as tg
from tinygrad_bn import nn, optim, viz


def scalar_graph():
    """micrograd's classic: L = relu(a * b + c) * f, every value and gradient shown."""
    names = micrograd_expression()
    return viz.draw_graph(names["L"], names=names, show_values=True, backward=True)


def readme_graph():
    """The README's snippet, line for line (a test keeps the two the same)."""
    import tinygrad_bn as torch
    from tinygrad_bn import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(),
                          nn.Linear(64, 5))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 20), torch.randint(0, 5, (32,))

    loss = nn.CrossEntropyLoss()(model(x), y)
    graph = viz.draw_graph(loss, model=model, names={"x": x, "y": y, "loss": loss},
                           style="slide", backward=True)
    optimizer.step()
    return graph


def article_mlp_graph(style="slide"):
    """One Adam step of the article's MLP (20 -> 64 -> 64 -> 5, BatchNorm) on a batch of 32."""
    tg.manual_seed(42)
    return training_step_graph(MLPWithBatchNorm(input_dim=20, hidden_dim=64, output_dim=5), style)


def deep_mlp_graph(depth, style="slide"):
    """One Adam step of the article's MLP ``depth`` blocks deep (Linear -> BatchNorm1d -> ReLU,
    20 -> 64 -> ... -> 64 -> 5) on a batch of 32; the slide style folds the blocks between
    the first and the last into one node."""
    tg.manual_seed(42)
    return training_step_graph(MLP(input_dim=20, hidden_dim=64, output_dim=5, depth=depth), style)


def training_step_graph(model, style):
    """The graph of one Adam step of ``model`` on a random batch of 32 (20 features, 5
    classes), drawn with ``backward=True`` before the step."""
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    x, y = tg.randn(32, 20), tg.randint(0, 5, (32,))
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x), y)
    graph = viz.draw_graph(loss, model=model, names={"x": x, "y": y, "loss": loss},
                           style=style, backward=True)
    optimizer.step()
    return graph


def main(argv=None):
    parser = cli.make_parser(__doc__)
    parser.add_argument("--out", default="out", metavar="DIR", help="folder for the pictures")
    parser.add_argument("--png", action="store_true", help="also write a PNG of each picture")
    args = parser.parse_args(argv)
    graphs = (("scalar_graph", scalar_graph()), ("training_step", readme_graph()),
              ("article_mlp_slide", article_mlp_graph()),
              ("mlp_depth8_slide", deep_mlp_graph(8)), ("mlp_depth32_slide", deep_mlp_graph(32)))
    for name, graph in graphs:
        for fmt in ("svg", "png") if args.png else ("svg",):
            path = viz.render(graph, os.path.join(args.out, name), format=fmt)
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
