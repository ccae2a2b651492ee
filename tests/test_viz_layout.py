"""Where Graphviz actually puts things: the layouts are read back from ``dot -Tjson`` (real
Graphviz, which CI installs) and measured. The main data path is one straight line at any
depth, parameters sit beside the op that reads them in input order, the article's MLP in the
slide style fits a 1920 x 1080 slide with text of at least 14 pixels, and so do deeper MLPs,
whose repeated blocks fold and whose main path wraps into a second line."""

import json

import pytest
from _shared.article_models import MLP, MLPWithBatchNorm

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


def mlp_step(depth, style, rankdir=None, seed=0, **options):
    tg.manual_seed(seed)
    model = MLP(20, 64, 5, depth=depth) if depth != 2 else MLPWithBatchNorm(20, 64, 5)
    x, y = tg.randn(32, 20), tg.randint(0, 5, (32,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    return viz.draw_graph(loss, model=model, names={"x": x, "y": y, "loss": loss},
                          style=style, rankdir=rankdir, backward=True, **options)


def font_px_on_a_slide(size):
    """The slide style's text height in pixels once a picture of ``size`` points is scaled to
    fit 1920 x 1080."""
    scale = min(SLIDE[0] / size[0], SLIDE[1] / size[1])
    return viz.PRESETS["slide"].fontsize * scale


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
    _, nodes = layout(mlp_step(8, style, rankdir, fold_repeats=False))
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
    size, _ = layout(mlp_step(2, "slide"))
    font_px = font_px_on_a_slide(size)
    assert font_px >= 14, f"{size[0]:.0f} x {size[1]:.0f} pt scales to {font_px:.1f} px text"


@pytest.mark.parametrize("depth, least_px", [(8, 17), (32, 17)])
@pytest.mark.needs("dot")
def test_deep_mlps_fold_and_wrap_to_fit_a_1080p_slide(depth, least_px):
    """Unfolded, a depth-8 MLP with BatchNorm is 6052 x 487 pt on a slide (5.1 px text at
    1080p); folded and wrapped it is 1441 x 1001 pt (17.3 px), and at depth 32 the picture is
    the same but for the folded node's label."""
    size, nodes = layout(mlp_step(depth, "slide"))
    font_px = font_px_on_a_slide(size)
    assert font_px >= least_px, f"{size[0]:.0f} x {size[1]:.0f} pt: {font_px:.1f} px text"
    labels = [node.get("label", "") for node in nodes.values()]
    assert f"\u00d7 {depth - 2} more blocks\\nlike these\\n(fc2 \u2026 fc{depth - 1})" in labels
    unfolded, _ = layout(mlp_step(depth, "slide", fold_repeats=False))
    assert font_px_on_a_slide(unfolded) < 6  # what folding is for


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.needs("dot")
def test_a_wrapped_path_is_two_straight_lines_from_x_to_the_folded_node_and_on_to_the_loss(
        rankdir):
    """Each line of a wrapped picture keeps its main path straight; the first line ends in the
    folded node, the second starts over at the last block, below the first (or right of it,
    top to bottom)."""
    _, nodes = layout(mlp_step(8, "slide", rankdir))
    # the coordinate across the path, the one along it, and the way the path runs along it
    across, along, forward = (1, 0, 1) if rankdir == "LR" else (0, 1, -1)  # y grows upwards
    main = {name: node["pos"] for name, node in nodes.items() if node.get("group") == "main"}
    folded = next(name for name in main if name.startswith("f_"))
    first = [pos for pos in main.values() if abs(pos[across] - main[folded][across]) <= TOLERANCE]
    second = [pos for pos in main.values() if abs(pos[across] - main[folded][across]) > TOLERANCE]
    # x, fc1, bn1, relu and the folded node; then fc8, bn8, relu, fc9 and the loss
    assert (len(first), len(second)) == (5, 5)
    assert max(p[across] for p in second) - min(p[across] for p in second) <= TOLERANCE
    if rankdir == "LR":
        assert second[0][across] < main[folded][across]  # Graphviz's y grows upwards
    else:
        assert second[0][across] > main[folded][across]
    # the second line starts over: its first op where the first line's first op is
    starts = sorted(forward * p[along] for p in first)[1], min(forward * p[along] for p in second)
    assert abs(starts[0] - starts[1]) <= TOLERANCE, starts


def test_the_slide_style_hides_the_legend_and_uniform_dtypes():
    source = mlp_step(2, "slide").source
    assert "cluster_legend" not in source
    assert "float32" not in source and "(32,) int64" in source  # only y's dtype differs
    assert "data max abs" in source and "grad max abs" in source
    assert "norm" not in source and "std" not in source  # the default style's summaries
