"""The picture model without Graphviz: what a drawing holds (nodes, edges, clusters, folding),
read through the plain-text writer, and the model's modules importing no Graphviz."""

import ast
from pathlib import Path

import tinygrad_bn as tg
from tinygrad_bn import nn, viz
from tinygrad_bn.viz.folding import summarise
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
