"""The picture model: what a drawing of a computation graph holds, before any writer turns it
into Graphviz source (``graphviz_writer``) or text (``text_writer``).

``_Picture`` walks the graph once and keeps plain data: nodes (one per op and per tensor, with
their kind, module cluster and whether they are on the main data path), edges (in input order,
each with a kind and an optional label), module clusters (one per module call, nested) and rows
of side inputs. Labels are raw lines of text built from the nodes when a writer asks for them.
A picture too big to draw is folded (``folding``) before it is written. Nothing here knows
Graphviz.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..autograd import topological_order
from ..nn.module import Parameter
from ..tensor import Tensor
from .labels import _op_lines, _shape_text, _values
from .walk import (
    _array_origin, _FreedTensor, _input_tensors, _nearest, _node_count, _produced,
    _saved_arrays, _state_arrays, _tensor_key, main_inputs,
)


class _Picture:
    """The graph as plain data (nodes, edges, clusters) before a writer turns it into Graphviz
    source or text, so that it can be summarised first.

    ``nodes`` maps a node id to a dict: ``kind`` (a key of ``STYLES``), ``cluster`` and
    ``main`` (on the main path), and what its label is made of: ``tensor``/``producer``/
    ``name`` for tensors, ``op`` for ops, ``lines`` (raw text) for the rest. Labels are built
    only when a writer asks (``node_lines``), so the nodes of a huge graph that get collapsed
    never build one. ``edges`` are ``(tail, head, kind, label)``: ``kind`` a key of
    ``EDGE_STYLES``, ``label`` the input's position (for an op of several inputs), a buffer's
    role, or None. ``op_nodes`` and ``tensor_nodes`` map ops (by id) and tensors (by
    ``_tensor_key``) to their node ids, for the step player (``steps``).
    """

    def __init__(self, output, model, names, look, show_values, show_grads, show_shapes,
                 show_saved, clusters, max_nodes):
        self.look = look
        self.show_values, self.show_grads, self.show_shapes = show_values, show_grads, show_shapes
        self.nodes = {}      # node id -> see the class docstring
        self.edges = []      # (tail id, head id, kind, label or None)
        self.clusters = {}   # cluster id -> {"label", "parent", "module_id", "call_number",
        #                      "name" (in the model, or None), "type" (the module's class)}
        self.rows = {}       # op node -> (main input node, [side input nodes in order])
        self.results = {}    # op node -> its result's node
        self.notes = []      # what was summarised already while walking
        self.common_dtype = None  # the drawn tensors' most common dtype (``Style.dtypes``)
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
                self.edges.append(("c_far", head, "collapsed", None))

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
                self.edges.append((tensor_id, node, "input" if producer is None else "data",
                                   str(position) if several else None))
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
            self.edges.append((node, result, "result", None))
        add_tensor(output, output.grad_fn)  # an output that no op produced (a leaf) is drawn alone
        self._mark_main_path(output, mains, produced, tensor_node)
        self.find_common_dtype()

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
                        "name": name, "type": type(module).__name__,
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
        self.edges.append((node, op_node, "state", role))
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
            self.edges.append((node, op_node, "saved", None))
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

    def find_common_dtype(self):
        """Note the most common dtype among the drawn tensors: with ``Style.dtypes`` ``"mixed"``
        a label names only the dtypes that differ from it."""
        dtypes = Counter(info["tensor"].dtype for info in self.nodes.values() if "tensor" in info)
        self.common_dtype = dtypes.most_common(1)[0][0] if dtypes else None

    def node_lines(self, node, grad=None):
        """The label of ``node`` as raw lines. ``grad`` replaces a tensor's gradient line:
        ``None`` uses ``.grad``, an array shows that array, ``""`` shows no gradient line and
        any other string is shown after ``grad `` as it is (the step player uses these)."""
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

    # -------------------------------------------------------------- folding while walking

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

    # -------------------------------------------------------------- what writers ask

    def merged_results(self):
        """result node -> op node, for each op whose result is drawn inside it (``compact``)."""
        return {result: op for op, result in self.results.items()
                if op in self.nodes and result in self.nodes
                and self.nodes[result]["kind"] in ("tensor", "output")}

    def rows_to_draw(self):
        """op node -> (main input node, side nodes) for each op in a module cluster whose
        single-use leaf inputs (and buffers, saved tensors) get a row of their own beside the
        main path. Outside clusters Graphviz keeps input order by itself and no row is needed."""
        uses = Counter(edge[0] for edge in self.edges)
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
                rows[op_node] = (main, kept)
        return rows

