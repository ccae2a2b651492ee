"""Draw a computation graph with Graphviz: the picture a student learns backpropagation from.

``draw_graph(loss, model=model)`` walks the same op nodes ``backward`` walks (iteratively, so
any depth works) and returns a ``graphviz.Digraph``: one box per op (its math name and fixed
arguments, e.g. ``Sum(dim=(1,))``), one ellipse per tensor (name, shape, dtype, optionally the
values, and the gradient once backward has run), edges in the direction data flows and in input
order. With a ``model`` each module call becomes a labelled cluster (``fc1: Linear``), its
parameters and buffers drawn inside it. Graphs larger than ``max_nodes`` are summarised, never
refused. ``render(graph, "loss.svg")`` writes any format Graphviz's ``dot`` writes.

Two styles (``style=``): ``"default"`` (dtypes on every tensor, large tensors as mean and std,
gradients as norm and mean, a legend, left to right, every op drawn) and ``"slide"`` (larger
text, ``data``/``grad`` lines as the largest magnitude, dtypes only where the graph mixes them,
no legend, and repeated blocks folded: eight ``Linear -> BatchNorm1d -> ReLU`` blocks are the
first and the last in full with one node between, ``\u00d7 6 more blocks like these (fc2
\u2026 fc7)``, and the path goes on in a second line after it, so a deep network fits a
1920 x 1080 slide with 17 px text). ``show_legend`` and ``fold_repeats`` override either.

``backward_steps``/``render_steps`` draw the backward pass one op at a time; they build on the
picture made here.

The package, in the order a drawing is made (each module imports only those above it):

- ``styles``: colours and shapes of each kind of node and edge, the named styles (``PRESETS``).
- ``walk``: what a drawing reads from the op graph (inputs, results, the main data path).
- ``labels``: the text of values, shapes and ops.
- ``model``: the picture model (``_Picture``): nodes, edges, clusters and label lines, as
  plain data with no Graphviz in it; ``folding``: how repeated blocks fold, and how a picture
  too big to draw shrinks.
- ``rendering``: Graphviz's ``dot`` makes files in any format, and pictures in a notebook.
- ``graphviz_writer``: the model as a ``graphviz.Digraph``, and how its layout stays
  readable; ``text_writer``: the model as plain text.
- ``steps``: the backward pass one op at a time; ``step_drawing``: the step player's one
  drawing and each frame's changes to it; ``step_page``: its page and frame files.
"""

from __future__ import annotations

from collections.abc import Mapping

import graphviz  # noqa: F401 - still reachable as ``viz.graphviz`` (tests patch its ``view``)

from ..autograd import topological_order
from ..nn.module import Module
from ..tensor import Tensor
from .folding import MIN_REPEATS, summarise
from .folding import fold_repeats as fold_repeats_in
from .graphviz_writer import MAX_LINE_CHARACTERS, to_digraph
from .model import _Picture
from .rendering import INSTALL_HINT, Graph, GraphvizNotFoundError, render
from .step_page import PAGE_SCRIPT, PAGE_STYLE, StepsPage, render_steps
from .steps import ELEMENTWISE, PENDING, RULES, BackwardSteps, Step, backward_steps
from .styles import (
    CURRENT_EDGE, CURRENT_OP, EDGE_STYLES, FROM_ABOVE, LEGEND, NOT_YET, PRESETS, RANKDIRS,
    RECEIVING, STYLES, TENSOR_KINDS, Style, _preset, _rankdir,
)
from .walk import _produced, main_inputs

__all__ = [
    "draw_graph", "retain_grads", "render", "backward_steps", "render_steps",
    "Graph", "GraphvizNotFoundError", "Style", "Step", "BackwardSteps", "StepsPage",
    "PRESETS", "STYLES", "EDGE_STYLES", "LEGEND", "TENSOR_KINDS", "RANKDIRS", "INSTALL_HINT",
    "MAX_LINE_CHARACTERS", "main_inputs", "RULES", "ELEMENTWISE", "PENDING", "NOT_YET",
    "CURRENT_OP", "FROM_ABOVE", "RECEIVING", "CURRENT_EDGE", "PAGE_STYLE", "PAGE_SCRIPT",
]


def draw_graph(output: Tensor, *, model: Module | None = None,
               names: Mapping[str, Tensor] | None = None, style: str = "default",
               show_values: bool | None = None, show_grads: bool = True, show_shapes: bool = True,
               show_saved: bool = False, show_legend: bool | None = None,
               group_modules: bool = True, rankdir: str | None = None, max_nodes: int = 300,
               backward: bool = False, fold_repeats: bool | int | None = None) -> Graph:
    """The computation graph that produced ``output``, as a ``graphviz.Digraph`` (a ``Graph``).

    - ``model``: names parameters (``fc1.weight``) and buffers, and with ``group_modules`` draws
      each module call as a cluster.
    - ``names``: ``{"x": x}`` names other tensors; the output is called ``output`` unless named.
    - ``style``: ``"default"`` or ``"slide"`` (see ``PRESETS``); ``show_values``,
      ``show_legend`` and ``rankdir`` (``"TB"``, ``"LR"``, ``"BT"``, ``"RL"``) override it.
    - ``show_values``: print values (small tensors in full, large ones summarised). Unnamed
      constants small enough to print in full (an ``eps``) always show their values.
    - ``show_grads``: print ``.grad`` where it exists (leaves after backward, and intermediate
      tensors that retain their gradient; see ``backward``).
    - ``show_saved``: draw what each op saved for backward (beside it, dotted); after a
      ``backward()`` without ``retain_graph=True`` they are freed, and a note says so.
    - ``backward``: run ``output.backward()`` first, with every intermediate gradient retained
      (``retain_grads``), so the picture shows the gradient of every tensor. The graph must not
      have been through backward already, and no leaf may hold a non-zero ``.grad`` from an
      earlier backward (it would be added to, and the picture would show the sum): zero the
      gradients first. With ``show_saved`` the graph is kept (``retain_graph=True``) so that
      the saved tensors can be drawn.
    - ``max_nodes``: above this many nodes, module clusters are collapsed to one node each and,
      if that is not enough, the nodes farthest from the output into one; the graph's label
      says what was collapsed.
    - ``fold_repeats``: fold repeated blocks, so that a deep network reads at the size of a
      shallow one. A run of consecutive alike blocks of module calls (eight
      ``fc_i: Linear -> bn_i: BatchNorm1d -> relu: ReLU``) keeps its first and last block in
      full, with their values and gradients, and becomes one node between them that says
      what it stands for: ``\u00d7 6 more blocks like these (fc2 \u2026 fc7)``. Blocks are
      alike when they call the same module types and run the same ops, with the same
      arguments, into results of the same shapes (the first block may read a different
      width). The output and the main data path (the gradient path) are never folded away.
      ``True`` folds runs of at least 3 blocks, an int ``n >= 3`` runs of at least ``n``,
      ``False`` never folds; ``None`` (the default) folds in the ``"slide"`` style (runs of
      3 or more) and not in ``"default"``, which draws every op. Folding needs module
      clusters (``model`` and ``group_modules``) and comes before ``max_nodes``.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph expects a Tensor, got {type(output).__name__}")
    if max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2, got {max_nodes}")
    look = _preset(style, "draw_graph")
    min_repeats = look.fold_repeats if fold_repeats is None else _min_repeats(fold_repeats)
    rankdir = _rankdir(look.rankdir if rankdir is None else rankdir, "draw_graph")
    if backward:
        _backward_keeping_grads(output, model, names or {}, keep_saved=show_saved)
    picture = _Picture(output, model, names or {}, look,
                       look.show_values if show_values is None else show_values,
                       show_grads, show_shapes, show_saved,
                       group_modules and model is not None, max_nodes)
    if min_repeats:
        fold_repeats_in(picture, min_repeats)  # each folded node says what it stands for
    notes = summarise(picture, max_nodes)
    legend = look.legend if show_legend is None else show_legend
    return to_digraph(picture, rankdir, notes, legend=legend)


def _min_repeats(fold_repeats):
    """``draw_graph``'s ``fold_repeats`` as the shortest run that folds (0: none)."""
    if fold_repeats is True:
        return MIN_REPEATS
    if fold_repeats is False:
        return 0
    if type(fold_repeats) is not int or fold_repeats < MIN_REPEATS:
        raise ValueError(
            "draw_graph: fold_repeats must be True, False or a number of blocks of at least "
            f"{MIN_REPEATS} (the first and last are drawn, the rest folded), got {fold_repeats!r}")
    return fold_repeats


def retain_grads(output: Tensor) -> None:
    """Call ``retain_grad()`` on every intermediate tensor of ``output``'s graph, so that after
    ``backward()`` the drawing shows every tensor's gradient, not only the leaves'."""
    for tensor in _produced(output, topological_order([output])).values():
        if isinstance(tensor, Tensor) and tensor.grad_fn is not None:
            tensor.retain_grad()


def _backward_keeping_grads(output, model, names, keep_saved):
    """``output.backward()`` with every intermediate gradient retained, for ``backward=True``;
    refused when a leaf already holds a non-zero gradient, which backward would add to."""
    if not output.requires_grad:
        raise RuntimeError(
            "draw_graph(backward=True): the output does not require grad, so there is no "
            "backward pass to run")
    ops = topological_order([output])
    if any(op.saved is None for op in ops):
        raise RuntimeError(
            "draw_graph(backward=True): backward() has already run through this graph and "
            "freed it; draw with backward=True instead of calling backward(), or call "
            "viz.retain_grads(output) before backward()")
    _refuse_accumulated_grads(ops, model, names)
    retain_grads(output)
    output.backward(retain_graph=keep_saved)


def _refuse_accumulated_grads(ops, model, names):
    """Raise if a leaf of the graph holds a non-zero ``.grad``, naming it."""
    for op in ops:
        for tensor, producer in zip(op.inputs, op.producers):
            grad = tensor.grad if producer is None else None  # leaves are held, never weakly
            if grad is not None and grad._array.any():
                raise RuntimeError(
                    f"draw_graph(backward=True): {_leaf_name(tensor, model, names)} already has "
                    "a gradient from an earlier backward, and backward would add to it, so the "
                    "picture would show the sum; zero the gradients first "
                    "(optimizer.zero_grad() or model.zero_grad()), or draw without backward=True "
                    "to show the gradients as they are")


def _leaf_name(tensor, model, names):
    for name, named in names.items():
        if named is tensor:
            return f"'{name}'"
    if model is not None:
        for name, parameter in model.named_parameters():
            if parameter is tensor:
                return f"'{name}'"
    return f"a leaf of shape {tuple(tensor.shape)}"

