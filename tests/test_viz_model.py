"""The picture model without Graphviz: what a drawing holds (nodes, edges, clusters, folding
for size and of repeated blocks), read through the plain-text writer, and the model's modules
importing no Graphviz."""

import ast
from pathlib import Path

import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, viz
from tinygrad_bn.viz.folding import fold_repeats, summarise
from tinygrad_bn.viz.model import _Picture
from tinygrad_bn.viz.text_writer import to_text

VIZ = Path(viz.__file__).parent


def test_the_text_writer_shows_what_a_small_graph_holds_and_how_it_folds():
    model = nn.Sequential(nn.Linear(2, 1), nn.ReLU())
    x = tg.tensor([[1.0, -2.0]])
    out = model(x).sum()
    picture = _Picture(out, model, {"x": x}, viz.PRESETS["default"], show_values=False,
                       show_grads=True, show_shapes=True, show_saved=False, clusters=True,
                       max_nodes=5)
    assert to_text(picture).splitlines() == [
        "cluster_0: 0: Linear",
        "cluster_1: 1: ReLU",
        "t0 input main: x | (1, 2) float32",
        "t1 parameter in cluster_0: 0.weight | (1, 2) float32",
        "t2 parameter in cluster_0: 0.bias | (1,) float32",
        "op0 op main in cluster_0: Linear",
        "t3 tensor main in cluster_0: (1, 1) float32",
        "op1 op main in cluster_1: ReLU",
        "t4 tensor main in cluster_1: (1, 1) float32",
        "op2 op main: Sum(keepdim=False)",
        "t5 output main: output | scalar float32",
        "t0 -> op0 input 0",
        "t1 -> op0 input 1",
        "t2 -> op0 input 2",
        "op0 -> t3 result",
        "t3 -> op1 data",
        "op1 -> t4 result",
        "t4 -> op2 data",
        "op2 -> t5 result",
    ]
    notes = summarise(picture, 5)
    assert to_text(picture, notes).splitlines() == [
        "note: 2 module clusters collapsed to one node each",
        "t0 input main: x | (1, 2) float32",
        "c_cluster_0 collapsed main: 0: Linear | 1 op and 3 tensors collapsed",
        "c_cluster_1 collapsed main: 1: ReLU | 1 op and 1 tensor collapsed",
        "op2 op main: Sum(keepdim=False)",
        "t5 output main: output | scalar float32",
        "t0 -> c_cluster_0 collapsed",
        "c_cluster_0 -> c_cluster_1 collapsed",
        "c_cluster_1 -> op2 collapsed",
        "op2 -> t5 result",
    ]


def test_the_model_side_of_the_package_imports_no_graphviz():
    for name in ("styles", "walk", "labels", "model", "folding", "text_writer"):
        tree = ast.parse((VIZ / f"{name}.py").read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom)}
        assert not any("graphviz" in module for module in imported), (name, imported)


def picture_of(model, x, **options):
    out = model(x).sum()
    return _Picture(out, model, {"x": x}, viz.PRESETS["default"], show_values=False,
                    show_grads=True, show_shapes=True, show_saved=False, clusters=True,
                    max_nodes=300, **options)


def blocks(count, *make):
    """``count`` blocks, each a fresh module from every ``make``, in one Sequential."""
    return nn.Sequential(*[module() for _ in range(count) for module in make])


def test_repeated_blocks_fold_to_the_first_and_last_and_one_node_between():
    tg.manual_seed(0)
    picture = picture_of(blocks(4, lambda: nn.Linear(2, 2), nn.ReLU), tg.tensor([[1.0, -2.0]]))
    assert fold_repeats(picture) == ["2 repeated blocks (2 \u2026 4) folded into one node"]
    text = to_text(picture).splitlines()
    # blocks 0-1 and 6-7 stay, with their parameters; the two between are one node
    assert [line for line in text if line.startswith("cluster_")] == [
        "cluster_0: 0: Linear", "cluster_1: 1: ReLU", "cluster_6: 6: Linear",
        "cluster_7: 7: ReLU"]
    assert "f_op2 folded main: \u00d7 2 more blocks | like these | (2 \u2026 4)" in text
    assert "t13 parameter in cluster_6: 6.weight | (2, 2) float32" in text
    assert not any(line.startswith("t5 ") or "2.weight" in line for line in text)
    # the main path runs through it: into it from the first block, out of it to the last
    assert [line for line in text if "f_op2 ->" in line or "-> f_op2" in line] == [
        "t4 -> f_op2 data", "f_op2 -> op6 data"]
    assert "t17 output main: output | scalar float32" in text


def test_blocks_fold_only_when_they_repeat_alike_often_enough():
    x = tg.ones(1, 2, requires_grad=True)

    def folds(model, **options):
        return fold_repeats(picture_of(model, x), **options)

    # results of different widths, ops with different arguments: not alike
    widths = [2, 3, 4, 5, 6]
    growing = nn.Sequential(*[m for a, b in zip(widths, widths[1:])
                              for m in (nn.Linear(a, b), nn.ReLU())])
    assert folds(growing) == []
    slopes = nn.Sequential(*[m for s in (0.1, 0.2, 0.3, 0.4)
                             for m in (nn.Linear(2, 2), nn.LeakyReLU(s))])
    assert folds(slopes) == []
    # the first block may read another width: Linear(2 -> 3) is alike Linear(3 -> 3)
    first_wider = nn.Sequential(nn.Linear(2, 3), nn.Tanh(),
                                *[m for _ in range(3) for m in (nn.Linear(3, 3), nn.Tanh())])
    assert folds(first_wider) == ["2 repeated blocks (2 \u2026 4) folded into one node"]
    # a run folds when it has at least min_repeats blocks: its first and last stay
    assert folds(blocks(2, lambda: nn.Linear(2, 2), nn.ReLU)) == []
    assert folds(blocks(3, lambda: nn.Linear(2, 2), nn.ReLU), min_repeats=4) == []
    assert folds(blocks(4, lambda: nn.Linear(2, 2), nn.ReLU), min_repeats=4) == [
        "2 repeated blocks (2 \u2026 4) folded into one node"]
    # a block may be one module call (the shortest repeating block is taken)
    assert folds(blocks(5, nn.Tanh)) == ["3 repeated blocks (1 \u2026 3) folded into one node"]
    with pytest.raises(ValueError, match="min_repeats must be at least 3, got 2"):
        folds(blocks(4, nn.Tanh), min_repeats=2)


def test_ops_outside_modules_alone_never_fold():
    x = tg.ones(1, 2, requires_grad=True)
    y = x
    for _ in range(6):
        y = (y * 2.0).tanh()
    model = nn.Linear(2, 2)
    out = model(y).sum()
    picture = _Picture(out, nn.Sequential(model), {}, viz.PRESETS["default"], False, True, True,
                       False, True, 300)
    assert fold_repeats(picture) == []
    assert sum(info["kind"] == "op" for info in picture.nodes.values()) == 14
