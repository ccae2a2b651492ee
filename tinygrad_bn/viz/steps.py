"""Backpropagation shown one op at a time: the steps a student clicks through.

``backward_steps(loss)`` runs the engine's own backward pass (``autograd.grad`` with
``retain_graph=True``, which fills no ``.grad``) with a post-hook on every node, so it sees, in
the order the engine processes the nodes (reverse topological order, each node once all its
output's gradient has arrived), the gradient that arrived at each op, and what the op sent to
each of its inputs. Each op becomes one ``Step``: its title, caption lines (the gradient from
above ``g``, the op's local derivative for each input and the gradient it sends, ``g`` times
that local derivative), and a frame of the graph with the op highlighted, every gradient
computed so far printed and everything backward has not reached yet greyed.

Every frame is the same picture model (``model._Picture``) with per-frame node and edge styles
and gradient lines, kept as the changes from the frame before (a step touches a few nodes);
``frame(i)`` is one frame for the Graphviz writer, ``step_drawing`` draws the picture once
and turns the changes into changes of that drawing, and ``step_page`` renders the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import graphviz
import numpy as np

from ..autograd import grad as autograd_grad
from ..autograd import topological_order
from ..autograd.graph import reduce_to_shape
from ..nn.module import Module
from ..tensor import Tensor
from .graphviz_writer import to_digraph
from .labels import _op_lines, _shape_text, _values
from .model import _Picture
from .styles import CURRENT_EDGE, CURRENT_OP, FROM_ABOVE, NOT_YET, RECEIVING, _preset, _rankdir
from .walk import _input_tensors, _produced, _tensor_key

# Per op name, for each input: (its local derivative, the gradient it is sent), written with
# {g} (the gradient from above), {out} (the op's result), {a}, {b}, {c} (its inputs), {bias}
# (`` + c`` when there is a third input, else nothing), {per_row} and {mean} (`` / N`` and
# ``, / N for the mean`` when a loss takes the mean over N rows, else nothing).
RULES = {
    "Add": (("1", "{g}"), ("1", "{g}")),
    "Sub": (("1", "{g}"), ("-1", "-{g}")),
    "Mul": (("{b}", "{g} \u00b7 {b}"), ("{a}", "{g} \u00b7 {a}")),
    "Div": (("1 / {b}", "{g} / {b}"), ("-{a} / {b}\u00b2", "-{g} \u00b7 {a} / {b}\u00b2")),
    "Pow": (("{b} \u00b7 {a}^({b} - 1)", "{g} \u00b7 {b} \u00b7 {a}^({b} - 1)"),
            ("{out} \u00b7 ln {a}", "{g} \u00b7 {out} \u00b7 ln {a}")),
    "Neg": (("-1", "-{g}"),),
    "Exp": (("exp({a}) = {out}", "{g} \u00b7 {out}"),),
    "Log": (("1 / {a}", "{g} / {a}"),),
    "Sqrt": (("1 / (2 \u00b7 {out})", "{g} / (2 \u00b7 {out})"),),
    "Tanh": (("1 - {out}\u00b2", "{g} \u00b7 (1 - {out}\u00b2)"),),
    "Sigmoid": (("{out} \u00b7 (1 - {out})", "{g} \u00b7 {out} \u00b7 (1 - {out})"),),
    "ReLU": (("1 where {a} > 0, else 0", "{g} where {a} > 0, else 0"),),
    "Abs": (("sign({a})", "{g} \u00b7 sign({a})"),),
    "Sum": (("1 for every summed element", "{g} copied to every summed element"),),
    "Mean": (("1/n for every averaged element", "{g} / n copied to every averaged element"),),
    "Reshape": (("1, element by element", "{g} reshaped to the shape of {a}"),),
    "Expand": (("1 for every copy", "{g} summed over the copies"),),
    "MatMul": (("{b}\u1d40, on the right", "{g} @ {b}\u1d40"),
               ("{a}\u1d40, on the left", "{a}\u1d40 @ {g}")),
    "Linear": (("{b}, as {out} = {a} @ {b}\u1d40{bias}", "{g} @ {b}"),
               ("{a}, row by row", "{g}\u1d40 @ {a}"),
               ("1 for every row", "{g} summed over the rows")),
    "BatchNorm": ((("through x\u0302 = (input - mean) / \u03c3, with the batch's mean and "
                    "\u03c3 = \u221a(var + eps) shared by every row (every row reaches every "
                    "output row)"),
                   ("({b} / \u03c3) \u00b7 ({g} - mean({g}) - x\u0302 \u00b7 mean({g} \u00b7 "
                    "x\u0302)), means over the batch")),
                  ("x\u0302", "sum over the batch of {g} \u00b7 x\u0302"),
                  ("1", "sum over the batch of {g}")),
    "CrossEntropy": (("softmax({a}) - one-hot({b}) in each row{mean}",
                      "{g} \u00b7 (softmax({a}) - one-hot({b})){per_row}"),),
}
# BatchNorm in evaluation (``training=False``) normalises with the running statistics,
# constants: each element's derivative is its own, with no path through a batch statistic.
EVAL_BATCHNORM = (("{b} / \u221a(running_var + eps), element by element",
                   "{g} \u00b7 {b} / \u221a(running_var + eps)"),
                  ("x\u0302 = (input - running_mean) / \u221a(running_var + eps)",
                   "sum over the batch of {g} \u00b7 x\u0302"),
                  ("1", "sum over the batch of {g}"))
# Ops whose local derivative is elementwise, so that it has values to print: for these,
# ``backward(ones)`` is exactly d(out)/d(input), element by element.
ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Pow", "Neg", "Exp", "Log", "Sqrt", "Tanh",
               "Sigmoid", "ReLU", "Abs"}
# The op's edge from its result in a frame: blue, as the result where g arrives (FROM_ABOVE);
# the red CURRENT_EDGE is for the edges to the inputs that receive a gradient.
ARRIVING_EDGE = {**CURRENT_EDGE, "color": FROM_ABOVE["color"]}
PENDING = "?"  # the gradient line of a tensor backward has not reached yet


@dataclass
class Step:
    """One op of the backward pass: ``number`` (from 1) of ``total``, the ``op`` node, a
    ``title`` and caption ``lines`` (plain text), the gradient from above (``upstream``), and
    per input the gradient sent (``sent``, reduced to the input's shape; None where the input
    needs none) and the elementwise local derivative (``local``, None where the op has none to
    print). ``graph`` is the frame as a ``graphviz.Digraph``."""

    number: int
    total: int
    op: object
    title: str
    lines: list
    upstream: np.ndarray
    sent: list
    local: list
    steps: "BackwardSteps" = field(repr=False)

    @property
    def graph(self) -> graphviz.Digraph:
        """This step's frame (``BackwardSteps.frame``)."""
        return self.steps.frame(self.number - 1)


class BackwardSteps(list):
    """The ``Step`` of every op, in the engine's order (a list), and the picture they share.

    Each frame is kept as its changes from the frame before (``changes``), the first as its
    changes from the picture ``draw_graph`` would draw: so many ops cost as much memory as
    their graph, not the graph once per op."""

    def __init__(self, steps, picture, rankdir, changes):
        super().__init__(steps)
        self.picture, self.rankdir, self.changes = picture, rankdir, changes
        self._sizes = None

    def marks(self, index: int) -> tuple[dict, dict, dict]:
        """Frame ``index``'s restyling, in full: node -> attributes, (tail, head) ->
        attributes and node -> gradient line (``to_digraph``'s ``node_attributes``,
        ``edge_attributes`` and ``grads``)."""
        attributes, edges, grads = {}, {}, {}
        for node_changes, edge_changes, grad_changes in self.changes[:index + 1]:
            _apply(attributes, node_changes)
            _apply(edges, edge_changes)
            grads.update(grad_changes)
        return attributes, edges, grads

    def frame(self, index: int,
              sizes: dict[str, tuple[float, float]] | None = None) -> graphviz.Digraph:
        """Frame ``index`` as a ``graphviz.Digraph``; with ``sizes`` (node -> (width, height)
        in inches) every node is drawn at that fixed size, so all frames share one layout."""
        attributes, edges, grads = self.marks(index)
        if sizes is not None:
            attributes = {node: {**attributes.get(node, {}), "fixedsize": "true",
                                 "width": width, "height": height}
                          for node, (width, height) in sizes.items()}
        return to_digraph(self.picture, self.rankdir, [], legend=False,
                          node_attributes=attributes, edge_attributes=edges, grads=grads)

    def longest_grads(self) -> dict[str, str]:
        """Each node's longest gradient line over all frames: drawn with these, every node is
        as large as any frame needs (the other lines do not change from frame to frame)."""
        longest = {}
        for _, _, grads in self.changes:
            for node, text in grads.items():
                longest[node] = max(longest.get(node, ""), text, key=len)
        return longest

    def sizes(self) -> dict[str, tuple[float, float]]:
        """Each node's size, the largest its label ever needs (``longest_grads``), as
        Graphviz lays it out."""
        if self._sizes is None:
            graph = to_digraph(self.picture, self.rankdir, [], legend=False,
                               grads=self.longest_grads())
            layout = json.loads(graph.pipe(format="json"))
            self._sizes = {item["name"]: (item["width"], item["height"])
                           for item in layout.get("objects", ()) if "width" in item
                           and not item["name"].startswith("p_")}
        return self._sizes


def backward_steps(output: Tensor, *, model: Module | None = None,
                   names: Mapping[str, Tensor] | None = None, gradient: Tensor | None = None,
                   style: str = "steps", show_values: bool | None = None,
                   rankdir: str | None = None, group_modules: bool = True,
                   max_ops: int = 1000) -> BackwardSteps:
    """The backward pass of ``output`` one op at a time, in the engine's order: a list of
    ``Step`` (see the module docstring).

    ``model``, ``names``, ``style``, ``show_values``, ``rankdir`` and ``group_modules`` are
    ``draw_graph``'s, and the frames name tensors as ``draw_graph`` does (``names``, the
    model's parameter and buffer names, ``output``); the captions call an unnamed tensor by
    its role (``ReLU's result``, ``the constant 2``, ``an input (8, 20)``). ``gradient`` is
    ``d(root)/d(output)`` for a tensor of more than one element (as ``backward``'s).

    The user's ``.grad`` fields are left as they were: the pass runs through
    ``autograd.grad``, and intermediate tensors that retain their gradient are switched off
    for its duration. The graph is kept (``retain_graph=True``), so ``output.backward()`` can
    run afterwards; it must not have run before (without ``retain_graph=True``), since that
    frees what the ops saved. Hooks registered on tensors and nodes run as in any backward.
    Graphs of more than ``max_ops`` ops are refused. The page grows with the graph (one
    drawing, and per op only its changes), but Graphviz's layout of a 1,000-op graph takes
    seconds, and a thousand frames is more than anyone clicks through
    (``benchmarks/step_page_scaling.py`` measures it).
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"backward_steps expects a Tensor, got {type(output).__name__}")
    look = _preset(style, "backward_steps")
    rankdir = _rankdir(look.rankdir if rankdir is None else rankdir, "backward_steps")
    if output.grad_fn is None:
        raise ValueError(
            "backward_steps: the output was not produced by an op that records a graph (it is "
            "a leaf, or was computed without gradients), so there is no backward pass to show")
    ops = topological_order([output])
    if len(ops) > max_ops:
        raise ValueError(
            f"backward_steps: the graph has {len(ops):,} ops, more than max_ops={max_ops}; "
            "Graphviz's layout alone takes seconds at 1,000 ops, and a frame per op is for "
            "graphs a student clicks through (raise max_ops, or draw_graph the whole)")
    for op in ops:
        if op.saved is None:
            raise RuntimeError(
                "backward_steps: backward() has already run through this graph and freed what "
                "its ops saved; call backward_steps before backward(), or run that backward "
                "with retain_graph=True")
        if op.num_outputs != 1:
            raise NotImplementedError(
                f"backward_steps: {op.name} has {op.num_outputs} outputs; custom Functions "
                "with several outputs are not supported")
    records = _run_engine(output, ops, gradient)
    picture = _Picture(output, model, names or {}, look,
                       look.show_values if show_values is None else show_values,
                       True, True, False, group_modules and model is not None,
                       max_nodes=10 ** 9)
    return _make_steps(output, ops, records, picture, rankdir)


def _run_engine(output, ops, gradient):
    """Run the engine's backward with a post-hook on every node; returns, in the order the
    engine ran them, ``(op, gradient from above, gradients sent)`` as copies."""
    records, handles = [], []
    hooks_before = {id(op): op.hooks for op in ops}
    retained = {id(op): op.retained_output for op in ops}

    def record(op):
        def hook(grad_inputs, grad_outputs):
            sent = [None if g is None else g._array.copy() for g in grad_inputs]
            records.append((op, grad_outputs[0]._array.copy(), sent))
        return hook

    leaves, seen = [], set()
    for op in ops:
        for tensor, producer in zip(op.inputs, op.producers):
            if producer is None and tensor.requires_grad and id(tensor) not in seen:
                seen.add(id(tensor))
                leaves.append(tensor)
    try:
        for op in ops:
            op.retained_output = None  # no retained .grad is written by this pass
            handles.append(op.register_hook(record(op)))
        autograd_grad(output, leaves, grad_outputs=gradient, retain_graph=True,
                      allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
        for op in ops:
            op.retained_output = retained[id(op)]
            if hooks_before[id(op)] is None:
                op.hooks = None  # as it was: the engine's fast path for hook-free nodes
    return records


def _make_steps(output, ops, records, picture, rankdir):
    """The steps and their frames from the engine's records."""
    produced = _produced(output, ops)
    result_node = {id(op): picture.tensor_nodes[_tensor_key(produced[id(op)], op)]
                   for op in ops}
    # which tensor nodes get a gradient at all, and from how many consumers
    expected = {}
    for op in ops:
        for tensor, producer, needed in zip(op.inputs, op.producers, op.needs_input_grad):
            if needed:
                node = picture.tensor_nodes[_tensor_key(tensor, producer)]
                expected[node] = expected.get(node, 0) + 1
    output_node = result_node[id(output.grad_fn)]
    root = picture.nodes[output_node]["name"]
    expected[output_node] = expected.get(output_node, 0) + 1  # the seed gradient
    sums, arrivals, done_ops = {}, {}, set()
    marks = _FrameMarks(picture, sums, arrivals, expected, done_ops)
    steps, frames = [], []
    for number, (op, upstream, raw_sent) in enumerate(records, start=1):
        if number == 1:
            sums[output_node], arrivals[output_node] = upstream, 1
        op_node = picture.op_nodes[id(op)]
        inputs = _input_tensors(op)
        input_nodes = [picture.tensor_nodes[_tensor_key(t, p)]
                       for t, p in zip(inputs, op.producers)]
        sent, receiving = [], []
        for tensor, producer, node, grad in zip(inputs, op.producers, input_nodes, raw_sent):
            if grad is None:
                sent.append(None)
                continue
            shape, dtype = producer.output_meta if producer is not None else (
                tensor._array.shape, tensor._array.dtype)
            grad = reduce_to_shape(np.asarray(grad), shape, dtype)
            sent.append(grad)
            receiving.append(node)
            sums[node] = grad if node not in sums else sums[node] + grad
            arrivals[node] = arrivals.get(node, 0) + 1
        local = _local_derivatives(op, upstream)
        out_name, names = _descriptions(picture, op, result_node[id(op)], input_nodes)
        lines = _caption(picture, op, root, out_name, names, input_nodes, upstream, local,
                         sent, arrivals, expected)
        title = f"Step {number} of {len(records)}: {_op_lines(op)[0]}"
        steps.append(Step(number, len(records), op, title, lines, upstream, sent, local,
                          steps=None))
        done_ops.add(op_node)
        frames.append(marks.advance(op_node, result_node[id(op)], input_nodes, receiving))
    result = BackwardSteps(steps, picture, rankdir, frames)
    for step in result:
        step.steps = result
    return result


def _local_derivatives(op, upstream):
    """The elementwise local derivative d(out)/d(input) per input (``backward`` of ones), or
    None for every input of an op that has no elementwise one."""
    if op.name not in ELEMENTWISE:
        return [None] * len(op.inputs)
    grads = op.backward(np.ones_like(upstream))
    return [None if g is None else np.broadcast_to(np.asarray(g), upstream.shape)
            for g in grads]


def _descriptions(picture, op, result_node, input_nodes):
    """What a caption calls ``op``'s result and each of its inputs: the name the drawing shows
    (``draw_graph``'s), else the tensor's role: ``ReLU's result``, ``the constant 2`` (a
    constant small enough that the drawing prints it), ``an input (8, 20)``, ``a leaf``. An
    input whose role reads the same as the result's or another input's also says which input
    it is (``Mul's result, input 0``)."""
    out = picture.nodes[result_node]["name"] or f"{op.name}'s result"
    roles = [_description(picture, node) for node in input_nodes]
    names = list(roles)
    for position, (node, role) in enumerate(zip(input_nodes, roles)):
        if picture.nodes[node]["name"]:
            continue
        if role == out or any(other == role and other_node != node for other_node, other
                              in zip(input_nodes, roles)):
            names[position] = f"{role}, input {position}"
    return out, names


def _description(picture, node):
    """A tensor node's name, or its role when it has none (see ``_descriptions``)."""
    info = picture.nodes[node]
    if info["name"]:
        return info["name"]
    if info["producer"] is not None:
        return f"{info['producer'].name}'s result"
    tensor = info["tensor"]
    if tensor.requires_grad:
        return "a leaf"
    constant = _constant_text(picture, node)
    if constant is not None:
        return f"the constant {constant}"
    return f"an input {_shape_text(tensor.shape)}"


def _constant_text(picture, node):
    """The values of an unnamed constant small enough that the drawing prints them (as
    ``draw_graph`` does for an ``eps``), else None."""
    info = picture.nodes[node]
    tensor = info["tensor"]
    if info["name"] or info["producer"] is not None or tensor.requires_grad or \
            tensor._array.size > picture.look.full_values:
        return None
    return _values(tensor._array, picture.look)


def _symbol(text):
    """A name or role as a term of a formula: in parentheses when it is several words."""
    return f"({text})" if " " in text else text


def _caption(picture, op, root, out_name, names, input_nodes, upstream, local, sent, arrivals,
             expected):
    """The plain-text lines under a frame's title: the gradient from above, then per input
    its local derivative and what it is sent, or why it is sent nothing."""
    look = picture.look
    rules = RULES.get(op.name)
    if op.name == "BatchNorm" and not op.argument_values().get("training", True):
        rules = EVAL_BATCHNORM
    symbols = {"g": "g", "out": _symbol(out_name),
               "bias": f" + {_symbol(names[2])}" if len(names) > 2 else "",
               "per_row": "", "mean": ""}
    if op.argument_values().get("reduction") == "mean":
        symbols.update(per_row=" / N", mean=", / N for the mean")
    for letter, node, name in zip("abc", input_nodes, names):
        constant = _constant_text(picture, node)  # a constant reads as its value: 1 / 2
        symbols[letter] = _symbol(name) if constant is None else constant
    lines = [f"from above: g = \u2202{root}/\u2202{_symbol(out_name)} = {_text(upstream, look)}"]
    for position, (name, grad) in enumerate(zip(names, sent)):
        heading = f"to {name}" + ("" if name.endswith(f"input {position}")
                                  else f" (input {position})")
        if grad is None:
            why = _why_none(picture, input_nodes[position], op, name)
            lines.append(f"{heading}: receives no gradient ({why})")
            continue
        derivative = f"\u2202{_symbol(out_name)}/\u2202{_symbol(name)}"
        if rules is not None and position < len(rules):
            local_rule, sent_rule = (_fill(part, symbols) for part in rules[position])
        else:
            local_rule, sent_rule = derivative, f"{op.name}.backward(g)"
        text = f"{heading}: local {derivative} = {local_rule}"
        factor = local[position]
        if factor is not None and not _is_number(local_rule):
            text += f" = {_text(factor, look)}"
        text += f"  \u2192  sends {sent_rule}"
        if factor is not None and factor.size == 1 and sent_rule != "g":
            text += f" = {_text(upstream, look)} \u00d7 {_text(factor, look)}"
        text += f" = {_text(grad, look)}"
        node = input_nodes[position]
        if expected.get(node, 1) > 1:
            text += (f" (part {arrivals[node]} of {expected[node]}: the gradients from every "
                     "use add up)")
        lines.append(text)
    return lines


def _fill(rule, symbols):
    """A rule with its symbols put in (``{a}`` -> ``(ReLU's result)``); a symbol that is a
    whole term already (the whole rule, ``{a}, row by row``, ``... = {out}``, or inside
    brackets, ``softmax({a})``) takes no brackets of its own."""

    def put(match):
        value = symbols[match.group(1)]
        before, after = rule[:match.start()], rule[match.end():]
        if before.endswith("(") or after.startswith(")"):
            alone = before.endswith("(") and after.startswith(")")
        else:
            alone = before in ("", "= ") or before.endswith(" = ")
            alone = alone and (after == "" or after.startswith(","))
        return value[1:-1] if alone and value.startswith("(") and value.endswith(")") else value

    return re.sub(r"\{(\w+)\}", put, rule)


def _why_none(picture, node, op, name):
    """Why ``op`` sends its input ``node`` (called ``name``) no gradient."""
    info = picture.nodes[node]
    if info["tensor"].requires_grad:
        return f"{op.name} has no gradient for this input"
    if info["name"]:
        return f"{name} does not require grad"
    if _constant_text(picture, node) is not None:
        return "a constant needs none"
    return "it does not require grad"


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text(array, look):
    """A value for a caption: in full when small, else its shape and the style's summary."""
    array = np.asarray(array)
    text = _values(array, look, gradient=True)
    return text if array.size <= look.full_values else f"{_shape_text(array.shape)}, {text}"


class _FrameMarks:
    """What each frame marks, kept up to date as the steps are made, and returned as the
    change from the frame before (``advance``), so that the frames cost in all as much as the
    graph has nodes, not nodes times ops.

    A frame's marks are node attributes (the op processed, its result, the inputs receiving,
    what backward has not reached), edge attributes (the op's edge from its result, and its
    edges to the inputs that receive a gradient) and gradient lines. Only
    the nodes of this step and of the step before can change; each is recomputed from the
    backward bookkeeping (``sums``, ``arrivals``, ``expected``, ``done_ops``, shared with
    ``_make_steps``, which updates them) by ``_node_marks``."""

    def __init__(self, picture, sums, arrivals, expected, done_ops):
        self.picture, self.sums, self.arrivals = picture, sums, arrivals
        self.expected, self.done_ops = expected, done_ops
        self.attributes, self.edges, self.grads = {}, {}, {}
        self.previous_nodes, self.previous_edges = None, set()
        # in a compact drawing an op box shows its result's state, so a result's change
        # reaches its op
        self.op_of = {result: op for op, result in picture.results.items()}

    def advance(self, op_node, result, input_nodes, receiving):
        """The next frame, as ``(attributes, edges, grads)`` changes: node -> attributes,
        (tail, head) -> attributes and node -> gradient line; attributes of ``None`` are
        removed (the node or edge is drawn as it is in ``draw_graph``)."""
        nodes = {op_node, result, *input_nodes}
        if self.picture.look.compact:
            nodes |= {self.op_of[node] for node in list(nodes) if node in self.op_of}
        changed_nodes = (self.picture.nodes.keys() if self.previous_nodes is None
                         else nodes | self.previous_nodes)
        self.previous_nodes = nodes
        attributes, grads = {}, {}
        for node in changed_nodes:
            marks, grad = self._node_marks(node, op_node, result, receiving)
            if self.attributes.get(node) != marks:
                attributes[node] = marks
            if grad is not None and self.grads.get(node) != grad:
                grads[node] = grad
        # the gradient runs back along the op's edge from its result (g arriving) and along
        # the edges to the inputs that receive one; an input that needs none keeps its edge
        current = {(node, op_node): CURRENT_EDGE for node in input_nodes if node in receiving}
        current[(op_node, result)] = ARRIVING_EDGE
        edges = {edge: None for edge in self.previous_edges - current.keys()}
        edges.update(current)
        self.previous_edges = set(current)
        _apply(self.attributes, attributes)
        _apply(self.edges, edges)
        self.grads.update(grads)
        return attributes, edges, grads

    def _node_marks(self, node, op_node, result, receiving):
        """One node's attributes (or None) and gradient line (None for a node without one)
        in the frame of the step that processes ``op_node``."""
        info, look = self.picture.nodes[node], self.picture.look
        marks, grad = None, None
        if info["kind"] == "op":
            if node not in self.done_ops:
                marks = NOT_YET
        elif "tensor" in info:
            sums, arrivals, expected = self.sums, self.arrivals, self.expected
            if node not in expected:
                grad = ""  # an input that needs no gradient
            elif node in sums and arrivals[node] >= expected[node]:
                grad = _values(sums[node], look, gradient=True)
            elif node in sums:  # some of the tensor's uses have sent their part, not all
                grad = (_values(sums[node], look, gradient=True)
                        + f" (part {arrivals[node]} of {expected[node]})")
            else:
                grad, marks = PENDING, NOT_YET
        if node == op_node:
            marks = CURRENT_OP
        elif node == result:
            marks = FROM_ABOVE
        elif node in receiving:
            marks = RECEIVING
        elif look.compact and node in self.picture.results:
            # an op drawn with its result: the result's state shows too
            result_node = self.picture.results[node]
            if result_node in receiving:
                marks = {**NOT_YET, **RECEIVING, "fontcolor": "#000000"}
            elif result_node in self.sums and node not in self.done_ops:
                marks = {**NOT_YET, "fontcolor": "#000000"}
        return marks, grad


def _apply(state, changes):
    """Apply ``changes`` (key -> value, None to remove) to ``state`` in place."""
    for key, value in changes.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
