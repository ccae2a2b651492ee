"""Draw a computation graph with Graphviz: the picture a student learns backpropagation from.

``draw_graph(loss, model=model)`` walks the same op nodes ``backward`` walks (iteratively, so
any depth works) and returns a ``graphviz.Digraph``: one box per op (its math name and fixed
arguments, e.g. ``Sum(dim=(1,))``), one ellipse per tensor (name, shape, dtype, optionally the
values, and the gradient once backward has run), edges in the direction data flows and in input
order. With a ``model`` each module call becomes a labelled cluster (``fc1: Linear``), its
parameters and buffers drawn inside it. Graphs larger than ``max_nodes`` are summarised, never
refused. ``render(graph, "loss.svg")`` writes SVG, PNG or PDF through Graphviz's ``dot``.
"""

import os
import shutil
import weakref
from collections import Counter, deque

import graphviz
import numpy as np

from .autograd import topological_order
from .nn.module import Parameter
from .printing import format_number, format_numbers
from .tensor import Tensor

STYLES = {
    "op": dict(shape="box", style="rounded,filled", fillcolor="#dae8fc", color="#6c8ebf"),
    "input": dict(shape="ellipse", style="filled", fillcolor="#f5f5f5", color="#666666"),
    "leaf": dict(shape="ellipse", style="filled", fillcolor="#d5e8d4", color="#82b366"),
    "parameter": dict(shape="ellipse", style="filled,bold", fillcolor="#ffe6cc", color="#d79b00"),
    "buffer": dict(shape="ellipse", style="filled,dashed", fillcolor="#e1d5e7", color="#9673a6"),
    "tensor": dict(shape="ellipse", style="filled", fillcolor="#ffffff", color="#999999"),
    "output": dict(shape="ellipse", style="filled", fillcolor="#f8cecc", color="#b85450",
                   peripheries="2"),
    "collapsed": dict(shape="box3d", style="filled", fillcolor="#fff2cc", color="#d6b656"),
}
LEGEND = {
    "input": "input (no grad)",
    "leaf": "leaf that requires grad",
    "parameter": "parameter",
    "buffer": "buffer (state, not trained)",
    "tensor": "intermediate result",
    "output": "output",
    "op": "op",
    "collapsed": "collapsed part of the graph",
}
INSTALL_HINT = (
    "Install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or `conda install graphviz` (conda)."
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program, which turns a graph's source into a picture, is missing."""


def draw_graph(output, *, model=None, names=None, show_values=False, show_grads=True,
               show_shapes=True, group_modules=True, rankdir="LR", max_nodes=300):
    """The computation graph that produced ``output``, as a ``graphviz.Digraph``.

    - ``model``: names parameters (``fc1.weight``) and buffers, and with ``group_modules`` draws
      each module call as a cluster.
    - ``names``: ``{"x": x}`` names other tensors; the output is called ``output`` unless named.
    - ``show_values``: print values (small tensors in full, large ones as mean and std).
    - ``show_grads``: print ``.grad`` where it exists (leaves after backward, and intermediate
      tensors that called ``retain_grad()``; see ``retain_grads``).
    - ``max_nodes``: above this many nodes, module clusters are collapsed to one node each and,
      if that is not enough, the nodes farthest from the output into one; the graph's label
      says what was collapsed.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw_graph expects a Tensor, got {type(output).__name__}")
    if max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2, got {max_nodes}")
    picture = _Picture(output, model, names or {}, show_values, show_grads, show_shapes,
                       group_modules and model is not None, max_nodes)
    notes = picture.summarise(max_nodes)
    return picture.to_digraph(rankdir, notes)


def retain_grads(output):
    """Call ``retain_grad()`` on every intermediate tensor of ``output``'s graph, so that after
    ``backward()`` the drawing shows every tensor's gradient, not only the leaves'."""
    for tensor in _produced(output, topological_order([output])).values():
        if isinstance(tensor, Tensor) and tensor.grad_fn is not None:
            tensor.retain_grad()


def render(graph, path, format=None):
    """Write ``graph`` to ``path`` as SVG, PNG or PDF (``format``, else the path's suffix, else
    SVG) with Graphviz's ``dot``. If ``dot`` is missing, the DOT source is written next to
    ``path`` (suffix ``.dot``, or ``.1.dot``, ... rather than overwrite a file) and
    ``GraphvizNotFoundError`` names that file and says how to install Graphviz."""
    path = os.fspath(path)
    fmt = (format or os.path.splitext(path)[1].lstrip(".") or "svg").lower()
    if fmt not in ("svg", "png", "pdf"):
        raise ValueError(f"render: format must be 'svg', 'png' or 'pdf', got {fmt!r}")
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
    return path


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


class _Picture:
    """The graph as plain data (nodes, edges, clusters) before it becomes Graphviz source, so
    that it can be summarised first."""

    def __init__(self, output, model, names, show_values, show_grads, show_shapes, clusters,
                 max_nodes):
        self.show_values, self.show_grads, self.show_shapes = show_values, show_grads, show_shapes
        self.nodes = {}      # node id -> {"kind", "cluster", "lines" (label lines, raw text)}
        self.edges = []      # (tail id, head id, attributes)
        self.clusters = {}   # cluster id -> {"label", "parent", "module_id", "call_number"}
        self.notes = []      # what was summarised already while walking
        forward_order = topological_order([output])  # the one walk; inputs before their ops
        produced = _produced(output, forward_order)
        op_ids = {id(op): f"op{i}" for i, op in enumerate(forward_order)}
        tensor_ids = {}  # an op's result is known by its op, a leaf by itself
        # Without modules to collapse first, a graph too big to draw keeps only the nodes
        # nearest the output; they are chosen before any node is built.
        near = None if model is not None else _nearest(output, forward_order, max_nodes - 1)
        if near is not None:
            self._far_node(forward_order, near)

        def tensor_node(tensor, producer):
            key = _tensor_key(tensor, producer)
            if near is not None and key not in near:
                return "c_far"
            return tensor_ids.setdefault(key, f"t{len(tensor_ids)}")

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
            if producer is not None:
                cluster = calls.get(id(producer))
            else:
                owner = owners.get(id(tensor))
                cluster = first_call.get(id(owner)) if owner is not None else None
            name = names_by_id.get(id(tensor))
            self.nodes[node] = {
                "kind": self._kind(tensor, producer, output, owners),
                # built when drawn: most nodes of a huge graph are collapsed before that
                "lines": lambda: self._tensor_lines(tensor, producer, name),
                "cluster": cluster,
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
            node = op_ids[id(op)]
            self.nodes[node] = {"kind": "op", "lines": lambda op=op: [_op_label(op)],
                                "op_name": op.name, "cluster": calls.get(id(op))}
            result = add_tensor(produced[id(op)], op)
            several = len(inputs) > 1
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
            if buffers:
                for array, role in _state_arrays(op):
                    if id(array) in buffers:
                        self._buffer(buffers[id(array)], node, role, first_call)
            self.edges.append((node, result, {"weight": "4"}))
        add_tensor(output, output.grad_fn)  # an output that no op produced (a leaf) is drawn alone

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
        """One node per buffer, with a dashed edge to each op that reads and updates it."""
        name, buffer, module = found
        node = f"b_{name}"
        if node not in self.nodes:
            self.nodes[node] = {"kind": "buffer",
                                "lines": lambda: self._tensor_lines(buffer, None, name),
                                "cluster": first_call.get(id(module))}
        self.edges.append((node, op_node, {"style": "dashed", "label": role}))

    @staticmethod
    def _kind(tensor, producer, output, owners):
        if tensor is output:
            return "output"
        if isinstance(tensor, Parameter) or id(tensor) in owners:
            return "parameter"
        if producer is None:
            return "leaf" if tensor.requires_grad else "input"
        return "tensor"

    def _tensor_lines(self, tensor, producer, name):
        """The label of a tensor node, one line a string: name, shape and dtype, values,
        gradient."""
        lines = [name] if name else []
        shape = tuple(tensor.shape)
        if self.show_shapes:
            lines.append(f"{'scalar' if not shape else str(shape)} {tensor.dtype}")
        freed = isinstance(tensor, _FreedTensor)
        constant = name is None and producer is None and not tensor.requires_grad
        if freed and self.show_values:
            lines.append("(values freed by backward)")
        elif self.show_values or (constant and int(np.prod(shape)) == 1):
            lines.append(_values(tensor._array))
        if self.show_grads and tensor.grad is not None:
            lines.append("grad " + _values(tensor.grad._array, gradient=True))
        return lines or ["tensor"]

    # -------------------------------------------------------------- summarising

    def _far_node(self, ops, near):
        """The one node that stands for everything outside ``near``, listing its ops."""
        far_ops = Counter(op.name for op in ops if id(op) not in near)
        total = _node_count(ops)
        listing = ", ".join(f"{name} x{count}" for name, count in far_ops.most_common(4))
        lines = [f"{total - len(near):,} earlier nodes collapsed", f"ops: {listing or 'none'}"]
        self.nodes["c_far"] = {"kind": "collapsed", "lines": lines, "cluster": None}
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
        follow their ends; edges inside a group vanish, parallel ones are drawn once."""
        nodes = {}
        for node, info in self.nodes.items():
            if node not in groups:
                nodes[node] = info
                continue
            new_node, lines = groups[node]
            nodes.setdefault(new_node, {"kind": "collapsed", "lines": lines, "cluster": None})
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
        op_names = Counter(self.nodes[n]["op_name"] for n in far
                           if self.nodes[n]["kind"] == "op")
        listing = ", ".join(f"{name} x{count}" for name, count in op_names.most_common(4))
        lines = [f"{len(far):,} earlier nodes collapsed", f"ops: {listing or 'none'}"]
        self._merge({node: ("c_far", lines) for node in far})
        return f"{len(far):,} nodes farthest from the output collapsed into one"

    # -------------------------------------------------------------- emitting

    def to_digraph(self, rankdir, notes):
        graph = graphviz.Digraph(
            "computation_graph",
            graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11",
                        "nodesep": "0.25", "ranksep": "0.35"},
            node_attr={"fontname": "Helvetica", "fontsize": "10"},
            edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"},
        )
        if notes:
            graph.attr(label=_label(["Summarised for size: " + "; ".join(notes)]), labelloc="t")
        children = {}
        for cluster, info in self.clusters.items():
            children.setdefault(info["parent"], []).append(cluster)
        members = {}
        for node, info in self.nodes.items():
            members.setdefault(info["cluster"], []).append(node)

        def emit(container, cluster):
            for node in members.get(cluster, ()):
                info = self.nodes[node]
                lines = info["lines"]
                container.node(node, _label(lines() if callable(lines) else lines),
                               **STYLES[info["kind"]])
            for child in children.get(cluster, ()):
                with container.subgraph(name=child) as sub:
                    sub.attr(label=_label([self.clusters[child]["label"]]), style="rounded,dashed",
                             color="#888888", fontsize="11", labeljust="l")
                    emit(sub, child)

        emit(graph, None)
        for tail, head, attributes in self.edges:
            if "label" in attributes:
                attributes = {**attributes, "label": _label([attributes["label"]])}
            graph.edge(tail, head, **attributes)
        self._legend(graph)
        return graph

    def _legend(self, graph):
        kinds = [k for k in LEGEND if any(info["kind"] == k for info in self.nodes.values())]
        with graph.subgraph(name="cluster_legend") as legend:
            legend.attr(label="Legend", style="rounded", color="#bbbbbb", fontsize="10")
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



def _values(array, gradient=False):
    """Small arrays in full; large ones as a summary (norm and mean for gradients)."""
    if array.size <= 6:
        text = ", ".join(format_numbers(array))
        text = text if array.ndim == 0 else f"[{text}]"
        return text if array.ndim <= 1 else f"{text} (flattened)"
    if array.dtype.kind in "iub":
        return f"min {array.min()}, max {array.max()}"
    if gradient:
        return f"norm {format_number(np.linalg.norm(array))}, mean {format_number(array.mean())}"
    return f"mean {format_number(array.mean())}, std {format_number(array.std())}"


def _count(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _op_label(op):
    arguments = ", ".join(f"{k}={_format_argument(v)}" for k, v in op.argument_values().items()
                          if v is not None)
    return f"{op.name}({arguments})" if arguments else op.name


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
    """Arrays an op holds as fixed arguments (BatchNorm's running statistics), with a role."""
    for cls in type(op).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            value = getattr(op, slot, None)
            if isinstance(value, np.ndarray):
                yield value, slot.replace("_", " ")
