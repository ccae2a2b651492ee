"""Draw a computation graph with Graphviz: the picture a student learns backpropagation from.

``draw_graph(loss, model=model)`` walks the same op nodes ``backward`` walks (iteratively, so
any depth works) and returns a ``graphviz.Digraph``: one box per op (its math name and fixed
arguments, e.g. ``Sum(dim=(1,))``), one ellipse per tensor (name, shape, dtype, optionally the
values, and the gradient once backward has run), edges in the direction data flows and in input
order. With a ``model`` each module call becomes a labelled cluster (``fc1: Linear``), its
parameters and buffers drawn inside it. Graphs larger than ``max_nodes`` are summarised, never
refused. ``render(graph, "loss.svg")`` writes any format Graphviz's ``dot`` writes.

How the layout stays readable at any depth:

- The **main data path** (from the output back through each op's deepest input, down to the
  first input) is one Graphviz ``group``, so it runs straight down (``rankdir="TB"``) or right
  (``"LR"``) through every module.
- Each op's **parameters, buffers** and other single-use leaf inputs sit in one row beside the
  path, in input order, on their own rank inside the op's module cluster (an invisible point
  carries the path through that row). Two consecutive clusters therefore never share a rank,
  which is what used to push every layer sideways into a staircase.

Two styles (``style=``): ``"default"`` (dtypes on every tensor, large tensors as mean and std,
gradients as norm and mean, a legend, left to right) and ``"slide"`` (larger text, top to
bottom, ``data``/``grad`` lines as the largest magnitude, dtypes only where the graph mixes
them, no legend). ``show_legend`` overrides either.

``backward_steps``/``render_steps`` (from ``viz_steps``) draw the backward pass one op at a
time; they build on the picture made here.
"""

from __future__ import annotations

import os
import shutil
import weakref
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass

import graphviz
import numpy as np

from .autograd import topological_order
from .nn.module import Module, Parameter
from .printing import format_number, format_numbers
from .tensor import Tensor

STYLES = {
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dae8fc",
           "color": "#6c8ebf"},
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#f5f5f5",
              "color": "#666666"},
    "leaf": {"shape": "ellipse", "style": "filled", "fillcolor": "#d5e8d4",
             "color": "#82b366"},
    "parameter": {"shape": "ellipse", "style": "filled,bold", "fillcolor": "#ffe6cc",
                  "color": "#d79b00"},
    "buffer": {"shape": "ellipse", "style": "filled,dashed", "fillcolor": "#e1d5e7",
               "color": "#9673a6"},
    "tensor": {"shape": "ellipse", "style": "filled", "fillcolor": "#ffffff",
               "color": "#999999"},
    "output": {"shape": "ellipse", "style": "filled", "fillcolor": "#f8cecc",
               "color": "#b85450", "peripheries": "2"},
    "saved": {"shape": "note", "style": "filled", "fillcolor": "#fffbe6", "color": "#b8a04a"},
    "collapsed": {"shape": "box3d", "style": "filled", "fillcolor": "#fff2cc",
                  "color": "#d6b656"},
}
LEGEND = {
    "input": "input (no grad)",
    "leaf": "leaf that requires grad",
    "parameter": "parameter",
    "buffer": "buffer (state, not trained)",
    "tensor": "intermediate result",
    "output": "output",
    "op": "op",
    "saved": "saved for backward",
    "collapsed": "collapsed part of the graph",
}
TENSOR_KINDS = ("input", "leaf", "parameter", "buffer", "tensor", "output")
INSTALL_HINT = (
    "Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or `conda install graphviz` (conda)."
)
RANKDIRS = ("TB", "LR", "BT", "RL")


@dataclass(frozen=True)
class Style:
    """How a drawing looks; ``PRESETS`` holds the two that ``draw_graph(style=...)`` names.

    - ``fontsize``: points for node text (edge labels are 1 point smaller, cluster labels 1
      larger).
    - ``rankdir``: where the main path runs when the call does not say: ``"TB"`` (down) or
      ``"LR"`` (right).
    - ``show_values``: whether tensors print their values when the call does not say.
    - ``full_values``: tensors with at most this many elements print every value.
    - ``summary``: a larger tensor prints as ``"mean"`` (values: mean and std; gradients: norm
      and mean) or ``"max_abs"`` (its largest magnitude).
    - ``data_prefix``: the word before printed values (``"data"``), or ``""`` for none.
    - ``dtypes``: ``"always"`` or ``"mixed"`` (only on a tensor whose dtype is not the most
      common one among the drawn tensors).
    - ``legend``: whether a legend is drawn when ``show_legend`` does not say.
    - ``compact``: each op and its result are one node (the op's arguments on a second line),
      and parameters and buffers sit just outside their module's cluster, beside the op that
      reads them, instead of in a row of their own inside it: half the ranks, for a slide.
    - ``nodesep``, ``ranksep``: Graphviz's spacing within and between ranks, in inches.
    """

    fontsize: int
    rankdir: str
    show_values: bool
    full_values: int
    summary: str
    data_prefix: str
    dtypes: str
    legend: bool
    compact: bool
    nodesep: float
    ranksep: float


PRESETS = {
    "default": Style(fontsize=10, rankdir="LR", show_values=False, full_values=6,
                     summary="mean", data_prefix="", dtypes="always", legend=True,
                     compact=False, nodesep=0.25, ranksep=0.35),
    "slide": Style(fontsize=16, rankdir="LR", show_values=True, full_values=3,
                   summary="max_abs", data_prefix="data ", dtypes="mixed", legend=False,
                   compact=True, nodesep=0.2, ranksep=0.3),
    "steps": Style(fontsize=14, rankdir="LR", show_values=True, full_values=6,
                   summary="max_abs", data_prefix="data ", dtypes="mixed", legend=False,
                   compact=False, nodesep=0.25, ranksep=0.35),
}


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program, which turns a graph's source into a picture, is missing."""


class Graph(graphviz.Digraph):
    """The ``graphviz.Digraph`` that ``draw_graph`` returns. In a notebook it shows as a picture;
    where Graphviz's ``dot`` is missing it shows the same install hint as ``render`` instead of
    graphviz's traceback."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": (
                "Graphviz's `dot` program was not found on PATH, so this graph cannot be shown "
                f"as a picture (its DOT source is in `.source`). {INSTALL_HINT}")}


def draw_graph(output: Tensor, *, model: Module | None = None,
               names: Mapping[str, Tensor] | None = None, style: str = "default",
               show_values: bool | None = None, show_grads: bool = True, show_shapes: bool = True,
               show_saved: bool = False, show_legend: bool | None = None,
               group_modules: bool = True, rankdir: str | None = None, max_nodes: int = 300,
               backward: bool = False) -> Graph:
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
      have been through backward already.
    - ``max_nodes``: above this many nodes, module clusters are collapsed to one node each and,
      if that is not enough, the nodes farthest from the output into one; the graph's label
      says what was collapsed.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph expects a Tensor, got {type(output).__name__}")
    if max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2, got {max_nodes}")
    look = _preset(style, "draw_graph")
    rankdir = _rankdir(look.rankdir if rankdir is None else rankdir, "draw_graph")
    if backward:
        _backward_keeping_grads(output)
    picture = _Picture(output, model, names or {}, look,
                       look.show_values if show_values is None else show_values,
                       show_grads, show_shapes, show_saved,
                       group_modules and model is not None, max_nodes)
    notes = picture.summarise(max_nodes)
    legend = look.legend if show_legend is None else show_legend
    return picture.to_digraph(rankdir, notes, legend=legend)


def retain_grads(output: Tensor) -> None:
    """Call ``retain_grad()`` on every intermediate tensor of ``output``'s graph, so that after
    ``backward()`` the drawing shows every tensor's gradient, not only the leaves'."""
    for tensor in _produced(output, topological_order([output])).values():
        if isinstance(tensor, Tensor) and tensor.grad_fn is not None:
            tensor.retain_grad()


def render(graph: graphviz.Digraph, path: str | os.PathLike[str], format: str | None = None,
           view: bool = False) -> str:
    """Write ``graph`` to ``path`` with Graphviz's ``dot`` and return the path written.

    Graphviz's convention: ``format`` (any format ``dot`` writes: ``"svg"``, ``"png"``,
    ``"pdf"``, ...) is added as the suffix when ``path`` has none (``render(g, "step",
    format="svg")`` writes ``step.svg``); without ``format`` the path's suffix says it, and a
    path with no suffix is SVG. A suffix that names another format than ``format`` raises.
    ``view=True`` opens the result with the system's viewer, as ``graphviz`` does.

    If ``dot`` is missing, the DOT source is written next to the path (suffix ``.dot``, or
    ``.1.dot``, ... rather than overwrite a file) and ``GraphvizNotFoundError`` names that
    file and says how to install Graphviz.
    """
    path, fmt = _output_path(os.fspath(path), format)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if shutil.which("dot") is None:
        dot_path = _write_new_file(os.path.splitext(path)[0], ".dot", graph.source)
        raise GraphvizNotFoundError(
            f"Graphviz's `dot` program was not found on PATH, so {path} was not rendered; the "
            f"graph's DOT source was written to {dot_path} instead. {INSTALL_HINT}"
        )
    data = graph.pipe(format=fmt)
    with open(path, "wb") as file:
        file.write(data)
    if view:
        graphviz.view(path)
    return path


def _output_path(path, format):
    """The path ``render`` writes and its format, by Graphviz's suffix convention."""
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    if format is None:
        if not suffix:
            return path + ".svg", "svg"
        if suffix not in graphviz.FORMATS:
            raise ValueError(
                f"render: cannot tell the format of {path!r}: '.{suffix}' is not a format "
                "Graphviz writes; pass format= (e.g. 'svg', 'png' or 'pdf')")
        return path, suffix
    if not isinstance(format, str) or format.lower() not in graphviz.FORMATS:
        raise ValueError(
            f"render: format must be one Graphviz's dot writes (e.g. 'svg', 'png', 'pdf'), "
            f"got {format!r}")
    fmt = format.lower()
    if suffix == fmt:
        return path, fmt
    if suffix in graphviz.FORMATS:
        raise ValueError(
            f"render: the path {path!r} ends in '.{suffix}' but format is {format!r}")
    return f"{path}.{fmt}", fmt


def _write_new_file(stem, suffix, text):
    """Write ``text`` to ``stem + suffix``, or, when that exists, to the first free
    ``stem.1 + suffix``, ``stem.2 + suffix``, ...: an existing file is never overwritten."""
    attempt = 0
    while True:
        path = stem + (f".{attempt}" if attempt else "") + suffix
        try:
            with open(path, "x", encoding="utf-8") as file:
                file.write(text)
            return path
        except FileExistsError:
            attempt += 1


def _preset(style, caller):
    if style not in PRESETS:
        raise ValueError(f"{caller}: style must be one of {sorted(PRESETS)}, got {style!r}")
    return PRESETS[style]


def _rankdir(rankdir, caller):
    if rankdir not in RANKDIRS:
        raise ValueError(f"{caller}: rankdir must be one of {list(RANKDIRS)}, got {rankdir!r}")
    return rankdir


def _backward_keeping_grads(output):
    """``output.backward()`` with every intermediate gradient retained, for ``backward=True``."""
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
    retain_grads(output)
    output.backward()


# ---------------------------------------------------------------------- walking the graph


class _FreedTensor:
    """Stands in for an intermediate tensor that backward let go of (see ``Op.release``): its
    shape and dtype are known from the node that produced it, its values are gone."""

    grad = None
    requires_grad = True

    def __init__(self, producer):
        self.shape, self.dtype = producer.output_meta


def _input_tensors(op):
    """``op``'s inputs as tensors: after backward, an intermediate input is held weakly; it
    comes back while someone else still holds it, else as a ``_FreedTensor``."""
    tensors = []
    for entry, producer in zip(op.inputs, op.producers):
        if isinstance(entry, weakref.ref):
            alive = entry()
            entry = _FreedTensor(producer) if alive is None else alive
        tensors.append(entry)
    return tensors


def _tensor_key(tensor, producer):
    """What identifies a tensor node: an op's result is known by its op, a leaf by itself."""
    return id(tensor) if producer is None else ("result of", id(producer))


def _node_count(ops):
    """How many nodes drawing ``ops`` takes: each op, its result, and each distinct leaf."""
    leaves = {id(entry) for op in ops for entry, producer in zip(op.inputs, op.producers)
              if producer is None}
    return 2 * len(ops) + len(leaves)


def _nearest(output, ops, limit):
    """The keys (``id(op)`` and ``_tensor_key``) of the ``limit`` nodes nearest ``output``,
    breadth first against the data flow; None when the whole graph has at most ``limit + 1``
    nodes and is drawn in full."""
    if _node_count(ops) + (output.grad_fn is None) <= limit + 1:
        return None
    near, queue = set(), deque([(output, output.grad_fn)])
    while queue and len(near) < limit:
        tensor, producer = queue.popleft()
        key = _tensor_key(tensor, producer)
        if key in near:
            continue
        near.add(key)
        if producer is not None and id(producer) not in near and len(near) < limit:
            near.add(id(producer))
            queue.extend(zip(_input_tensors(producer), producer.producers))
    return near


def _produced(output, ops):
    """Each op's result, by ``id(op)``, as found among its consumers' inputs."""
    produced = {}
    if output.grad_fn is not None:
        produced[id(output.grad_fn)] = output
    for op in ops:
        for tensor, producer in zip(_input_tensors(op), op.producers):
            if producer is not None and id(producer) not in produced:
                produced[id(producer)] = tensor
    return produced


def main_inputs(ops):
    """Each op's main input, as a position by ``id(op)``: the input with the longest chain of
    ops behind it (the first such input on a tie). Following main inputs back from the output
    traces the main data path. ``ops`` lists producers before their consumers."""
    depth, main = {}, {}
    for op in ops:
        best, best_depth = 0, -1
        for position, producer in enumerate(op.producers):
            behind = 0 if producer is None else depth.get(id(producer), 0)
            if behind > best_depth:
                best, best_depth = position, behind
        main[id(op)] = best
        depth[id(op)] = best_depth + 1
    return main


class _Picture:
    """The graph as plain data (nodes, edges, clusters) before it becomes Graphviz source, so
    that it can be summarised first.

    ``nodes`` maps a node id to a dict: ``kind`` (a key of ``STYLES``), ``cluster`` and
    ``main`` (on the main path), and what its label is made of: ``tensor``/``producer``/
    ``name`` for tensors, ``op`` for ops, ``lines`` (raw text) for the rest. Labels are built
    only when the picture is emitted, so the nodes of a huge graph that get collapsed never
    build one. ``op_nodes`` and ``tensor_nodes`` map ops (by id) and tensors (by
    ``_tensor_key``) to their node ids, for ``viz_steps``.
    """

    def __init__(self, output, model, names, look, show_values, show_grads, show_shapes,
                 show_saved, clusters, max_nodes):
        self.look = look
        self.show_values, self.show_grads, self.show_shapes = show_values, show_grads, show_shapes
        self.nodes = {}      # node id -> see the class docstring
        self.edges = []      # (tail id, head id, attributes)
        self.clusters = {}   # cluster id -> {"label", "parent", "module_id", "call_number"}
        self.rows = {}       # op node -> (main input node, [side input nodes in order])
        self.results = {}    # op node -> its result's node
        self.notes = []      # what was summarised already while walking
        self.common_dtype = None
        forward_order = topological_order([output])  # the one walk; inputs before their ops
        produced = _produced(output, forward_order)
        mains = main_inputs(forward_order)
        self.op_nodes = {id(op): f"op{i}" for i, op in enumerate(forward_order)}
        self.tensor_nodes = {}  # an op's result is known by its op, a leaf by itself
        # Without modules to collapse first, a graph too big to draw keeps only the nodes
        # nearest the output; they are chosen before any node is built.
        near = None if model is not None else _nearest(output, forward_order, max_nodes - 1)
        if near is not None:
            self._far_node(forward_order, near)

        def tensor_node(tensor, producer):
            key = _tensor_key(tensor, producer)
            if near is not None and key not in near:
                return "c_far"
            return self.tensor_nodes.setdefault(key, f"t{len(self.tensor_nodes)}")

        names_by_id = {id(t): name for name, t in names.items()}
        module_names, owners, buffers = {}, {}, {}
        if model is not None:
            for name, module in model.named_modules():
                module_names[id(module)] = name
                for kind, member, value in module._members():
                    if value is None:
                        continue
                    full = f"{name}.{member}" if name else member
                    if kind == "parameter":
                        names_by_id.setdefault(id(value), full)
                        owners[id(value)] = module
                    elif kind == "buffer":
                        buffers[id(value._array)] = (full, value, module)
        names_by_id.setdefault(id(output), "output")

        calls = self._clusters(forward_order, model, module_names) if clusters else {}
        first_call = {}  # module id -> the first cluster drawn for it, home of its state
        for call_id, info in self.clusters.items():
            first_call.setdefault(info["module_id"], call_id)

        def add_tensor(tensor, producer):
            node = tensor_node(tensor, producer)
            if node in self.nodes:  # drawn already, or part of the collapsed far node
                return node
            name, kind = names_by_id.get(id(tensor)), None
            if producer is not None:
                cluster = calls.get(id(producer))
            else:
                owner = owners.get(id(tensor))
                cluster = first_call.get(id(owner)) if owner is not None else None
                if look.compact:
                    cluster = None
                if name is None and buffers and isinstance(tensor, Tensor):
                    # a leaf viewing a buffer (composed batch norm in eval mode reads the
                    # running statistics through a reshape) is that buffer
                    found = buffers.get(id(tensor._array)) or buffers.get(id(tensor._array.base))
                    if found is not None:
                        name, kind = found[0], "buffer"
                        cluster = None if look.compact else first_call.get(id(found[2]))
            self.nodes[node] = {
                "kind": kind or self._kind(tensor, producer, output, owners),
                "tensor": tensor, "producer": producer, "name": name, "cluster": cluster,
                "main": False,
            }
            return node

        far_heads = set()

        def far_edge(head):
            if head not in far_heads:
                far_heads.add(head)
                self.edges.append(("c_far", head, {}))

        # Nodes in forward order, each op's inputs in argument order, so Graphviz lays input 0
        # before input 1 and the picture reads in the direction the data flows.
        for op in forward_order:
            if near is not None and id(op) not in near:
                continue
            inputs = _input_tensors(op)
            input_nodes = [add_tensor(t, p) for t, p in zip(inputs, op.producers)]
            node = self.op_nodes[id(op)]
            self.nodes[node] = {"kind": "op", "op": op, "cluster": calls.get(id(op)),
                                "main": False}
            result = add_tensor(produced[id(op)], op)
            several = len(inputs) > 1
            main = mains[id(op)]
            for position, (tensor_id, producer) in enumerate(zip(input_nodes, op.producers)):
                if tensor_id == "c_far":  # an input among the collapsed nodes
                    far_edge(node)
                    continue
                if near is not None and producer is not None and id(producer) not in near:
                    far_edge(tensor_id)  # an input made by a collapsed op
                attributes = {"label": str(position)} if several else {}
                if producer is not None:
                    attributes["weight"] = "4"  # keep the forward data path straight
                self.edges.append((tensor_id, node, attributes))
            sides = [n for i, (n, p) in enumerate(zip(input_nodes, op.producers))
                     if i != main and p is None]
            if buffers:
                for array, role in _state_arrays(op):
                    if id(array) in buffers:
                        sides.append(self._buffer(buffers[id(array)], node, role, first_call))
            if show_saved:
                sides.extend(self._saved(op, node, inputs, produced[id(op)]))
            self.rows[node] = (input_nodes[main], sides)
            self.results[node] = result
            self.edges.append((node, result, {"weight": "4"}))
        add_tensor(output, output.grad_fn)  # an output that no op produced (a leaf) is drawn alone
        self._mark_main_path(output, mains, produced, tensor_node)

    def _mark_main_path(self, output, mains, produced, tensor_node):
        """Flag the nodes of the main data path: from the output, each op and its result, back
        through main inputs to the first input."""
        self.nodes[tensor_node(output, output.grad_fn)]["main"] = True
        op = output.grad_fn
        while op is not None and self.op_nodes[id(op)] in self.nodes:
            self.nodes[self.op_nodes[id(op)]]["main"] = True
            position = mains[id(op)]
            producer = op.producers[position]
            if producer is None:
                leaf = tensor_node(_input_tensors(op)[position], None)
            else:
                leaf = tensor_node(produced[id(producer)], producer)
            if leaf in self.nodes:
                self.nodes[leaf]["main"] = True
            op = producer

    def _clusters(self, ops, model, module_names):
        """One cluster per module call (nested as the calls were), skipping the model's own
        call, numbered in forward order; returns op id -> innermost cluster id."""
        by_op, call_ids = {}, {}
        calls_per_module = Counter()
        for op in ops:
            chain, call = [], op.module_call
            while call is not None and call.module is not model:
                chain.append(call)
                call = call.parent
            parent = None
            for call in reversed(chain):
                if id(call) not in call_ids:
                    module = call.module
                    calls_per_module[id(module)] += 1
                    call_ids[id(call)] = f"cluster_{len(call_ids)}"
                    name = module_names.get(id(module))
                    label = type(module).__name__ if name is None else (
                        f"{name}: {type(module).__name__}")
                    self.clusters[call_ids[id(call)]] = {
                        "label": label, "parent": parent, "module_id": id(module),
                        "call_number": calls_per_module[id(module)],
                    }
                parent = call_ids[id(call)]
            if parent is not None:
                by_op[id(op)] = parent
        for info in self.clusters.values():
            if calls_per_module[info["module_id"]] > 1:
                info["label"] += f" (call {info['call_number']})"
        return by_op

    def _buffer(self, found, op_node, role, first_call):
        """One node per buffer, with a dashed edge to each op that reads and updates it;
        returns the node."""
        name, buffer, module = found
        node = f"b_{name}"
        if node not in self.nodes:
            cluster = None if self.look.compact else first_call.get(id(module))
            self.nodes[node] = {"kind": "buffer", "tensor": buffer, "producer": None,
                                "name": name, "cluster": cluster, "main": False}
        self.edges.append((node, op_node, {"style": "dashed", "label": role}))
        return node

    def _saved(self, op, op_node, inputs, result):
        """Nodes for the arrays ``op`` saved for backward (``show_saved``), each with a dotted
        edge to the op; returns them. A freed graph gets a note instead."""
        entries = _saved_arrays(op)
        if entries is None:
            note = ("saved tensors not shown: backward() freed them (draw before backward, or "
                     "call backward(retain_graph=True))")
            if note not in self.notes:
                self.notes.append(note)
            return []
        nodes = []
        for index, array in entries:
            node = f"s_{op_node}_{index}"
            lines = [f"saved[{index}]", f"{_shape_text(array.shape)} {array.dtype}"]
            origin = _array_origin(array, inputs, result)
            if origin:
                lines.append(origin)
            cluster = None if self.look.compact else self.nodes[op_node]["cluster"]
            self.nodes[node] = {"kind": "saved", "lines": lines, "cluster": cluster,
                                "main": False}
            self.edges.append((node, op_node, {"style": "dotted", "arrowhead": "odot"}))
            nodes.append(node)
        return nodes

    @staticmethod
    def _kind(tensor, producer, output, owners):
        if tensor is output:
            return "output"
        if isinstance(tensor, Parameter) or id(tensor) in owners:
            return "parameter"
        if producer is None:
            return "leaf" if tensor.requires_grad else "input"
        return "tensor"

    # -------------------------------------------------------------- labels

    def node_lines(self, node, grad=None):
        """The label of ``node`` as raw lines. ``grad`` replaces a tensor's gradient line:
        ``None`` uses ``.grad``, an array shows that array, ``""`` shows no gradient line and
        any other string is shown after ``grad `` as it is (``viz_steps`` uses these)."""
        info = self.nodes[node]
        if info["kind"] == "op":
            return _op_lines(info["op"], wrap=self.look.compact)
        if "lines" in info:
            return info["lines"]
        return self._tensor_lines(info, grad)

    def _tensor_lines(self, info, grad=None):
        """A tensor node's label, one line a string: name, shape and dtype, values, gradient."""
        tensor, name, look = info["tensor"], info["name"], self.look
        lines = [name] if name else []
        shape = tuple(tensor.shape)
        if self.show_shapes:
            dtype = tensor.dtype
            shown = look.dtypes == "always" or dtype != self.common_dtype
            lines.append(_shape_text(shape) + (f" {dtype}" if shown else ""))
        freed = isinstance(tensor, _FreedTensor)
        constant = name is None and info["producer"] is None and not tensor.requires_grad
        if freed and self.show_values:
            lines.append("(values freed by backward)")
        elif self.show_values or (constant and int(np.prod(shape)) <= look.full_values):
            lines.append(look.data_prefix + _values(tensor._array, look))
        if grad is None and self.show_grads and tensor.grad is not None:
            grad = tensor.grad._array
        if isinstance(grad, np.ndarray):
            lines.append("grad " + _values(grad, look, gradient=True))
        elif grad:
            lines.append("grad " + grad)
        return lines or ["tensor"]

    # -------------------------------------------------------------- summarising

    def _far_node(self, ops, near):
        """The one node that stands for everything outside ``near``, listing its ops."""
        far_ops = Counter(op.name for op in ops if id(op) not in near)
        total = _node_count(ops)
        listing = ", ".join(f"{name} x{count}" for name, count in far_ops.most_common(4))
        lines = [f"{total - len(near):,} earlier nodes collapsed", f"ops: {listing or 'none'}"]
        self.nodes["c_far"] = {"kind": "collapsed", "lines": lines, "cluster": None,
                               "main": False}
        self.notes.append(f"{total - len(near):,} nodes farthest from the output collapsed "
                          "into one")

    def summarise(self, max_nodes):
        """Shrink the picture to at most ``max_nodes`` nodes; return notes on what went."""
        notes = list(self.notes)
        if len(self.nodes) > max_nodes and self.clusters:
            notes.append(self._collapse_clusters())
        if len(self.nodes) > max_nodes:
            notes.append(self._collapse_far_nodes(max_nodes))
        return notes

    def _merge(self, groups):
        """Replace each group of nodes by one collapsed node outside any cluster, in one pass
        over the edges: ``groups`` maps a member node to ``(new node, label lines)``. Edges
        follow their ends; edges inside a group vanish, parallel ones are drawn once. A
        collapsed node that swallowed part of the main path stays on it."""
        nodes = {}
        for node, info in self.nodes.items():
            if node not in groups:
                nodes[node] = info
                continue
            new_node, lines = groups[node]
            merged = nodes.setdefault(new_node, {"kind": "collapsed", "lines": lines,
                                                 "cluster": None, "main": False})
            merged["main"] = merged["main"] or info["main"]
        self.nodes = nodes
        merged, seen = [], set()
        for tail, head, attributes in self.edges:
            new_tail, new_head = groups.get(tail, (tail,))[0], groups.get(head, (head,))[0]
            if new_tail == new_head:
                continue
            if new_tail == tail and new_head == head:
                merged.append((tail, head, attributes))
            elif (new_tail, new_head) not in seen:
                seen.add((new_tail, new_head))
                merged.append((new_tail, new_head, {}))
        self.edges = merged

    def _collapse_clusters(self):
        outermost = {}  # cluster -> its outermost enclosing cluster, each path walked once

        def top_of(cluster):
            path = []
            while cluster not in outermost and self.clusters[cluster]["parent"] is not None:
                path.append(cluster)
                cluster = self.clusters[cluster]["parent"]
            top = outermost.get(cluster, cluster)
            for member in path + [cluster]:
                outermost[member] = top
            return top

        members = {}
        for node, info in self.nodes.items():
            if info["cluster"] is not None:
                members.setdefault(top_of(info["cluster"]), []).append(node)
        groups = {}
        for cluster, nodes in members.items():
            ops = sum(1 for n in nodes if self.nodes[n]["kind"] == "op")
            lines = [self.clusters[cluster]["label"],
                     f"{_count(ops, 'op')} and {_count(len(nodes) - ops, 'tensor')} collapsed"]
            for node in nodes:
                groups[node] = (f"c_{cluster}", lines)
        self._merge(groups)
        tops = sum(1 for info in self.clusters.values() if info["parent"] is None)
        self.clusters = {}
        return f"{tops} module clusters collapsed to one node each"

    def _collapse_far_nodes(self, max_nodes):
        """Keep the ``max_nodes - 1`` nodes nearest the output (breadth first against the
        edges) and merge the rest into one node listing the ops it holds."""
        output = next(n for n, info in self.nodes.items() if info["kind"] == "output")
        feeders = {}
        for tail, head, _ in self.edges:
            feeders.setdefault(head, []).append(tail)
        kept, queue = {output}, deque([output])
        while queue and len(kept) < max_nodes - 1:
            for tail in feeders.get(queue.popleft(), ()):
                if tail not in kept and len(kept) < max_nodes - 1:
                    kept.add(tail)
                    queue.append(tail)
        far = [n for n in self.nodes if n not in kept]
        op_names = Counter(self.nodes[n]["op"].name for n in far
                           if self.nodes[n]["kind"] == "op")
        listing = ", ".join(f"{name} x{count}" for name, count in op_names.most_common(4))
        lines = [f"{len(far):,} earlier nodes collapsed", f"ops: {listing or 'none'}"]
        self._merge({node: ("c_far", lines) for node in far})
        return f"{len(far):,} nodes farthest from the output collapsed into one"

    # -------------------------------------------------------------- emitting

    def to_digraph(self, rankdir, notes, legend=True, node_attributes=None, edge_attributes=None,
                   grads=None):
        """The picture as Graphviz source. ``node_attributes`` (node id -> attributes, a
        ``label`` among them replacing the label), ``edge_attributes`` ((tail, head) -> attributes)
        and ``grads`` (node id -> a ``node_lines`` gradient override) restyle single nodes and
        edges: ``viz_steps`` redraws one picture many times this way."""
        look = self.look
        node_attributes, grads = node_attributes or {}, grads or {}
        edge_attributes = edge_attributes or {}
        dtypes = Counter(info["tensor"].dtype for info in self.nodes.values() if "tensor" in info)
        self.common_dtype = dtypes.most_common(1)[0][0] if dtypes else None
        graph = Graph(
            "computation_graph",
            graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                        "fontsize": str(look.fontsize + 1), "nodesep": str(look.nodesep),
                        "ranksep": str(look.ranksep)},
            node_attr={"fontname": "Helvetica", "fontsize": str(look.fontsize)},
            edge_attr={"fontname": "Helvetica", "fontsize": str(look.fontsize - 1),
                       "color": "#555555"},
        )
        if notes:
            graph.attr(label=_label(["Summarised for size: " + "; ".join(notes)]), labelloc="t")
        merged = self._merged_results() if look.compact else {}
        children = {}
        for cluster, info in self.clusters.items():
            children.setdefault(info["parent"], []).append(cluster)
        members = {}
        for node, info in self.nodes.items():
            if node not in merged:
                members.setdefault(info["cluster"], []).append(node)
        rows = self._rows_to_draw()
        rows_in = {}
        for op_node, (_, pass_node, sides) in rows.items():
            rows_in.setdefault(self.nodes[op_node]["cluster"], []).append((pass_node, sides))
        results = {op: result for result, op in merged.items()}

        def emit(container, cluster):
            for node in members.get(cluster, ()):
                info = self.nodes[node]
                attributes = dict(STYLES[info["kind"]])
                if look.compact and info["kind"] in TENSOR_KINDS:
                    # a box fits its text in less width than an ellipse
                    attributes["shape"] = "box"
                    attributes["style"] = attributes["style"].replace("filled", "rounded,filled")
                lines = self.node_lines(node, grads.get(node))
                result = results.get(node)
                if result is not None:  # an op and its result in one node
                    result_lines = self.node_lines(result, grads.get(result))
                    lines = lines + ["\u2192 " + result_lines[0]] + result_lines[1:]
                    if self.nodes[result]["kind"] == "output":
                        attributes = dict(STYLES["output"], shape="box",
                                          style="rounded,filled")
                    attributes.update(node_attributes.get(result, {}))
                if info["main"]:
                    attributes["group"] = "main"
                attributes.update(node_attributes.get(node, {}))
                label = attributes.pop("label", None) or _label(lines)
                container.node(node, label, **attributes)
            for pass_node, sides in rows_in.get(cluster, ()):
                # the main path crosses the row of side inputs through a point the size of
                # the line, and invisible edges on one rank keep the row in input order
                container.node(pass_node, "", shape="point", width="0.02", height="0.02",
                               color="#555555", group="main")
                with container.subgraph() as row:
                    row.attr(rank="same")
                    for tail, head in zip([pass_node] + sides, sides):
                        row.edge(tail, head, style="invis")
            for child in children.get(cluster, ()):
                with container.subgraph(name=child) as sub:
                    sub.attr(label=_label([self.clusters[child]["label"]]), style="rounded,dashed",
                             color="#888888", fontsize=str(look.fontsize + 1), labeljust="l")
                    emit(sub, child)

        emit(graph, None)
        for tail, head, attributes in self.edges:
            if merged.get(head) == tail:
                continue  # an op's edge to its result, which is drawn inside the op's node
            if (tail, head) in edge_attributes:
                attributes = {**attributes, **edge_attributes[(tail, head)]}
            tail = merged.get(tail, tail)
            if look.compact:  # names say which input is which; labels would widen every gap
                attributes = {k: v for k, v in attributes.items() if k != "label"}
            if "label" in attributes:
                attributes = {**attributes, "label": _label([attributes["label"]])}
            row = rows.get(head)
            if row is not None and row[0] == tail:
                rows[head] = (None,) + row[1:]  # one edge through the point, not a repeat
                through = {k: v for k, v in attributes.items() if k in ("color", "penwidth")}
                graph.edge(tail, row[1], arrowhead="none", weight="4", **through)
                tail, attributes = row[1], {**attributes, "weight": "4"}
            graph.edge(tail, head, **attributes)
        if legend:
            self._legend(graph, merged)
        return graph

    def _merged_results(self):
        """result node -> op node, for each op whose result is drawn inside it (``compact``)."""
        return {result: op for op, result in self.results.items()
                if op in self.nodes and result in self.nodes
                and self.nodes[result]["kind"] in ("tensor", "output")}

    def _rows_to_draw(self):
        """op node -> (main input node, point node, side nodes) for each op in a module cluster
        whose single-use leaf inputs (and buffers, saved tensors) get a row of their own.
        Outside clusters Graphviz keeps input order by itself and no row is needed."""
        uses = Counter(tail for tail, _, _ in self.edges)
        rows = {}
        for op_node, (main, sides) in self.rows.items():
            info = self.nodes.get(op_node)
            if info is None or info["cluster"] is None or main not in self.nodes:
                continue
            kept = []
            for node in sides:
                if node in self.nodes and node not in kept and node != main and \
                        uses[node] == 1 and self.nodes[node]["cluster"] == info["cluster"]:
                    kept.append(node)
            if kept:
                rows[op_node] = (main, f"p_{op_node}", kept)
        return rows

    def _legend(self, graph, merged):
        kinds = [k for k in LEGEND if any(info["kind"] == k for node, info in self.nodes.items()
                                          if node not in merged)]
        with graph.subgraph(name="cluster_legend") as legend:
            legend.attr(label="Legend", style="rounded", color="#bbbbbb",
                        fontsize=str(self.look.fontsize))
            previous = None
            for kind in kinds:
                legend.node(f"legend_{kind}", LEGEND[kind], **STYLES[kind])
                if previous is not None:
                    legend.edge(previous, f"legend_{kind}", style="invis")
                previous = f"legend_{kind}"


# ---------------------------------------------------------------------- labels

MAX_LINE_CHARACTERS = 120


def _label(lines):
    """Label text for Graphviz from raw lines: every line shown as the text it is. Backslashes
    are doubled (so ``\\n`` or a final backslash stays text), control characters such as NUL
    become visible escapes, lines longer than ``MAX_LINE_CHARACTERS`` end in an ellipsis, and
    the result is marked as never HTML, so a name like ``<<TABLE>...>>`` cannot become markup,
    a link or an image."""
    escaped = []
    for line in lines:
        line = str(line)
        if len(line) > MAX_LINE_CHARACTERS:
            line = line[:MAX_LINE_CHARACTERS - 1] + "\u2026"
        line = "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or ord(c) == 127 else c for c in line)
        escaped.append(line.replace("\\", "\\\\"))
    return graphviz.nohtml("\\n".join(escaped))


def _values(array, look, gradient=False):
    """Small arrays in full (PyTorch's number format); larger ones summarised as the style
    says: ``"mean"`` gives mean and std (norm and mean for gradients), ``"max_abs"`` the
    largest magnitude."""
    if array.size <= look.full_values:
        text = ", ".join(format_numbers(array))
        text = text if array.ndim == 0 else f"[{text}]"
        return text if array.ndim <= 1 else f"{text} (flattened)"
    if array.dtype.kind in "iub":
        return f"min {array.min()}, max {array.max()}"
    if look.summary == "max_abs":
        return f"max abs {format_number(np.abs(array).max())}"
    if gradient:
        return f"norm {format_number(np.linalg.norm(array))}, mean {format_number(array.mean())}"
    return f"mean {format_number(array.mean())}, std {format_number(array.std())}"


def _shape_text(shape):
    return "scalar" if not tuple(shape) else str(tuple(shape))


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _op_lines(op, wrap=False):
    """An op's label: its name with its fixed arguments, ``Sum(dim=(1,), keepdim=False)``, or
    with ``wrap`` the arguments on a second line."""
    arguments = ", ".join(f"{k}={_format_argument(v)}" for k, v in op.argument_values().items()
                          if v is not None)
    if not arguments:
        return [op.name]
    return [op.name, arguments] if wrap else [f"{op.name}({arguments})"]


def _format_argument(value):
    if isinstance(value, np.ndarray):
        return f"array{tuple(value.shape)}" if value.size > 4 else str(value.tolist())
    if isinstance(value, slice):
        parts = ["" if v is None else str(v) for v in (value.start, value.stop, value.step)]
        return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
    if isinstance(value, tuple) and any(isinstance(v, (np.ndarray, slice)) for v in value):
        return "[" + ", ".join(_format_argument(v) for v in value) + "]"
    if isinstance(value, np.dtype):
        return str(value)
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _state_arrays(op):
    """Arrays an op holds as fixed arguments (BatchNorm's running statistics, held as tensors),
    with a role."""
    for cls in type(op).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            value = getattr(op, slot, None)
            if isinstance(value, Tensor):
                value = value._array
            if isinstance(value, np.ndarray):
                yield value, slot.replace("_", " ")


def _saved_arrays(op):
    """``(index, array)`` for each array ``op`` saved for backward (a custom Function's
    ``ctx.save_for_backward`` tensors included), or None once backward has freed them.
    Bookkeeping entries that are not arrays (sizes, index tuples) are left out."""
    if op.saved is None:
        return None
    ctx = getattr(op, "ctx", None)
    if ctx is not None:
        if getattr(ctx, "_released", False):
            return None
        return [(i, t._array) for i, t in enumerate(getattr(ctx, "_saved", ()))
                if isinstance(t, Tensor)]
    return [(i, a) for i, a in enumerate(op.saved) if isinstance(a, np.ndarray)]


def _array_origin(array, inputs, result):
    """Which tensor's values a saved array holds: an input's, the output's, or neither."""

    def holds(tensor):
        other = getattr(tensor, "_array", None)
        return other is not None and (array is other or array.base is other or (
            other.base is not None and array.base is other.base and array.shape == other.shape))

    for position, tensor in enumerate(inputs):
        if holds(tensor):
            return f"= input {position}"
    if holds(result):
        return "= output"
    return ""


# The step-by-step backward pass lives beside the drawing it builds on.
from .viz_steps import backward_steps, render_steps  # noqa: F401
