"""Where Graphviz actually puts things: the layouts are read back from ``dot -Tjson`` (real
Graphviz, which CI installs) and measured. The main data path is one straight line at any
depth, parameters sit beside the op that reads them in input order, and the article's MLP in
the slide style fits a 1920 x 1080 slide with text of at least 14 pixels."""

import json

import pytest
from article_models import MLP, MLPWithBatchNorm

import tinygrad_bn as tg
from tinygrad_bn import nn, viz

SLIDE = (1920, 1080)
TOLERANCE = 1.0  # points: "one coordinate" up to Graphviz's rounding


def layout(graph):
    """Graphviz's layout of ``graph``: its bounding box (width, height in points) and every
    node by name (``pos`` as floats, in points)."""
    data = json.loads(graph.pipe(format="json"))
    width, height = (float(v) for v in data["bb"].split(",")[2:])
    nodes = {}
    for item in data.get("objects", ()):
        if "pos" in item:
            nodes[item["name"]] = {**item, "pos": tuple(float(v) for v in item["pos"].split(","))}
    return (width, height), nodes


def mlp_step(depth, style, rankdir=None, seed=0):
    tg.manual_seed(seed)
    model = MLP(20, 64, 5, depth=depth) if depth != 2 else MLPWithBatchNorm(20, 64, 5)
    x, y = tg.randn(32, 20), tg.randint(0, 5, (32,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    return viz.draw_graph(loss, model=model, names={"x": x, "y": y, "loss": loss},
                          style=style, rankdir=rankdir, backward=True)


def main_path_spread(nodes, across):
    """How far apart the ops of the main path lie across the path (``across`` is 0 for x,
    1 for y); with their count."""
    positions = [node["pos"][across] for name, node in nodes.items()
                 if name.startswith("op") and node.get("group") == "main"]
    return max(positions) - min(positions), len(positions)


@pytest.mark.parametrize("style, rankdir", [("default", "TB"), ("default", "LR"),
                                            ("slide", "TB"), ("slide", "LR"),
                                            ("steps", "TB")])
@pytest.mark.needs("dot")
def test_the_main_path_of_a_depth_8_mlp_is_one_straight_line(style, rankdir):
    _, nodes = layout(mlp_step(8, style, rankdir))
    spread, count = main_path_spread(nodes, 0 if rankdir == "TB" else 1)
    # 8 blocks of Linear, BatchNorm, ReLU, then Linear and the loss: every op of the network
    assert count == 8 * 3 + 2
    assert spread <= TOLERANCE, f"main path spread over {spread:.1f} points"


@pytest.mark.needs("dot")
def test_depth_does_not_push_the_path_sideways():
    """The old layout drifted one module's width per layer (a 7245 px diagonal band at depth
    8): the picture's width must not grow with depth."""
    widths = [layout(mlp_step(depth, "default", "TB"))[0][0] for depth in (2, 8)]
    assert widths[1] <= widths[0] + 50


@pytest.mark.needs("dot")
def test_parameters_sit_beside_their_op_in_input_order():
    (_, _), nodes = layout(mlp_step(2, "default", "TB"))
    by_label = {node["label"].split("\\n")[0]: node for node in nodes.values()
                if "label" in node}
    for module in ("bn1", "bn2"):
        row = [by_label[f"{module}.{member}"]["pos"]
               for member in ("weight", "bias", "running_mean", "running_var")]
        assert len({round(y) for _, y in row}) == 1, "one row, one rank"
        xs = [x for x, _ in row]
        assert xs == sorted(xs), f"{module}'s inputs are drawn in input order"
    linear = by_label["fc3.weight"]["pos"][0], by_label["fc3.bias"]["pos"][0]
    assert linear[0] < linear[1]  # weight left of bias, as Linear takes them


@pytest.mark.needs("dot")
def test_the_article_mlp_fits_a_1080p_slide_with_14px_text():
    (width, height), _ = layout(mlp_step(2, "slide"))
    scale = min(SLIDE[0] / width, SLIDE[1] / height)
    font_px = viz.PRESETS["slide"].fontsize * scale
    assert font_px >= 14, f"{width:.0f} x {height:.0f} pt scales to {font_px:.1f} px text"


def test_the_slide_style_hides_the_legend_and_uniform_dtypes():
    source = mlp_step(2, "slide").source
    assert "cluster_legend" not in source
    assert "float32" not in source and "(32,) int64" in source  # only y's dtype differs
    assert "data max abs" in source and "grad max abs" in source
    assert "norm" not in source and "std" not in source  # the default style's summaries
