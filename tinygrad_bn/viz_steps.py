"""Backpropagation shown one op at a time: the frames a student steps through.

``backward_steps(loss)`` runs the engine's own backward pass (``autograd.grad`` with
``retain_graph=True``, which fills no ``.grad``) with a post-hook on every node, so it sees, in
the order the engine processes the nodes (reverse topological order, each node once all its
output's gradient has arrived), the gradient that arrived at each op, and what the op sent to
each of its inputs. Each op becomes one ``Step``: its title, caption lines (the gradient from
above ``g``, the op's local derivative for each input and the gradient it sends, ``g`` times
that local derivative), and a frame of the graph with the op highlighted, every gradient
computed so far printed and everything backward has not reached yet greyed.

``render_steps(steps, "backprop.html")`` writes one self-contained page (the SVG frames and the
script inline, nothing fetched) with a slider, previous/next buttons and arrow keys;
``render_steps(steps, "frames/")`` writes numbered SVG files with the caption above each frame.
Both return a ``StepsPage``, which a notebook shows inline. Every frame has the same layout:
the nodes are sized once for the longest label they ever get and then drawn at that size.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import graphviz
import numpy as np

from . import viz
from .autograd import grad as autograd_grad
from .autograd import topological_order
from .autograd.graph import reduce_to_shape
from .nn.module import Module
from .tensor import Tensor

# Per op name, for each input: (its local derivative, the gradient it is sent), written with
# {g} (the gradient from above), {out} (the op's result) and {a}, {b}, {c} (its inputs).
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
    "Linear": (("{b}: {out} = {a} @ {b}\u1d40 + bias", "{g} @ {b}"),
               ("{a}, row by row", "{g}\u1d40 @ {a}"),
               ("1 for every row", "{g} summed over the rows")),
    "BatchNorm": ((("through x\u0302 and the batch's shared mean and \u03c3 (every row "
                    "reaches every output row)"),
                   ("({b} / \u03c3) \u00b7 ({g} - mean({g}) - x\u0302 \u00b7 mean({g} \u00b7 "
                    "x\u0302)), means over the batch")),
                  ("x\u0302", "sum over the batch of {g} \u00b7 x\u0302"),
                  ("1", "sum over the batch of {g}")),
    "CrossEntropy": (("softmax({a}) - one-hot({b}), / N for the mean",
                      "{g} \u00b7 (softmax({a}) - one-hot({b})) / N"),),
}
# Ops whose local derivative is elementwise, so that it has values to print: for these,
# ``backward(ones)`` is exactly d(out)/d(input), element by element.
ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Pow", "Neg", "Exp", "Log", "Sqrt", "Tanh",
               "Sigmoid", "ReLU", "Abs"}

# How a frame marks what backward has and has not reached.
NOT_YET = {"fillcolor": "#f2f2f2", "color": "#c8c8c8", "fontcolor": "#a0a0a0"}
CURRENT_OP = {"fillcolor": "#ffe599", "color": "#bf9000", "penwidth": "3"}
FROM_ABOVE = {"color": "#1f77b4", "penwidth": "3"}
RECEIVING = {"color": "#d62728", "penwidth": "3"}
CURRENT_EDGE = {"color": "#d62728", "penwidth": "2.5"}
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
        return self.steps.frame(self.number - 1)


class BackwardSteps(list):
    """The ``Step`` of every op, in the engine's order (a list), and the picture they share."""

    def __init__(self, steps, picture, rankdir, frames):
        super().__init__(steps)
        self.picture, self.rankdir, self._frames = picture, rankdir, frames
        self._sizes = None

    def frame(self, index: int,
              sizes: dict[str, tuple[float, float]] | None = None) -> graphviz.Digraph:
        """Frame ``index`` as a ``graphviz.Digraph``; with ``sizes`` (node -> (width, height)
        in inches) every node is drawn at that fixed size, so all frames share one layout."""
        attributes, edges, grads = self._frames[index]
        if sizes is not None:
            attributes = {node: {**attributes.get(node, {}), "fixedsize": "true",
                                 "width": width, "height": height}
                          for node, (width, height) in sizes.items()}
        return self.picture.to_digraph(self.rankdir, [], legend=False,
                                       node_attributes=attributes, edge_attributes=edges,
                                       grads=grads)

    def sizes(self) -> dict[str, tuple[float, float]]:
        """Each node's size, the largest its label ever needs: Graphviz lays out one graph
        whose every gradient line is the longest it gets in any frame (the other lines do not
        change from frame to frame)."""
        if self._sizes is None:
            longest = {}
            for _, _, grads in self._frames:
                for node, text in grads.items():
                    longest[node] = max(longest.get(node, ""), text, key=len)
            graph = self.picture.to_digraph(self.rankdir, [], legend=False, grads=longest)
            layout = json.loads(graph.pipe(format="json"))
            self._sizes = {item["name"]: (item["width"], item["height"])
                           for item in layout.get("objects", ()) if "width" in item
                           and not item["name"].startswith("p_")}
        return self._sizes


def backward_steps(output: Tensor, *, model: Module | None = None,
                   names: Mapping[str, Tensor] | None = None, gradient: Tensor | None = None,
                   style: str = "steps", show_values: bool | None = None,
                   rankdir: str | None = None, group_modules: bool = True,
                   max_ops: int = 200) -> BackwardSteps:
    """The backward pass of ``output`` one op at a time, in the engine's order: a list of
    ``Step`` (see the module docstring).

    ``model``, ``names``, ``style``, ``show_values``, ``rankdir`` and ``group_modules`` are
    ``draw_graph``'s. ``gradient`` is ``d(root)/d(output)`` for a tensor of more than one
    element (as ``backward``'s). Tensors without a name are called ``t1``, ``t2``, ... in the
    frames, so that the captions can refer to them.

    The user's ``.grad`` fields are left as they were: the pass runs through
    ``autograd.grad``, and intermediate tensors that retain their gradient are switched off
    for its duration. The graph is kept (``retain_graph=True``), so ``output.backward()`` can
    run afterwards; it must not have run before (without ``retain_graph=True``), since that
    frees what the ops saved. Hooks registered on tensors and nodes run as in any backward.
    Graphs of more than ``max_ops`` ops are refused: a frame per op is for small graphs.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"backward_steps expects a Tensor, got {type(output).__name__}")
    look = viz._preset(style, "backward_steps")
    rankdir = viz._rankdir(look.rankdir if rankdir is None else rankdir, "backward_steps")
    if output.grad_fn is None:
        raise ValueError(
            "backward_steps: the output was not produced by an op that records a graph (it is "
            "a leaf, or was computed without gradients), so there is no backward pass to show")
    ops = topological_order([output])
    if len(ops) > max_ops:
        raise ValueError(
            f"backward_steps: the graph has {len(ops):,} ops, more than max_ops={max_ops}; "
            "a frame per op is for small graphs (raise max_ops, or draw_graph the whole)")
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
    picture = viz._Picture(output, model, names or {}, look,
                           look.show_values if show_values is None else show_values,
                           True, True, False, group_modules and model is not None,
                           max_nodes=10 ** 9)
    _name_the_unnamed(picture)
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


def _name_the_unnamed(picture):
    """Call unnamed tensors ``t1``, ``t2``, ... (in drawing order), so captions can name them."""
    taken = {info["name"] for info in picture.nodes.values() if info.get("name")}
    count = 0
    for info in picture.nodes.values():
        if "tensor" in info and not info["name"]:
            count += 1
            while f"t{count}" in taken:
                count += 1
            info["name"] = f"t{count}"


def _make_steps(output, ops, records, picture, rankdir):
    """The steps and their frames from the engine's records."""
    produced = viz._produced(output, ops)
    result_node = {id(op): picture.tensor_nodes[viz._tensor_key(produced[id(op)], op)]
                   for op in ops}
    # which tensor nodes get a gradient at all, and from how many consumers
    expected = {}
    for op in ops:
        for tensor, producer, needed in zip(op.inputs, op.producers, op.needs_input_grad):
            if needed:
                node = picture.tensor_nodes[viz._tensor_key(tensor, producer)]
                expected[node] = expected.get(node, 0) + 1
    output_node = result_node[id(output.grad_fn)]
    root = picture.nodes[output_node]["name"]
    expected[output_node] = expected.get(output_node, 0) + 1  # the seed gradient
    sums, arrivals, done_ops = {}, {}, set()
    steps, frames = [], []
    look = picture.look
    for number, (op, upstream, raw_sent) in enumerate(records, start=1):
        if number == 1:
            sums[output_node], arrivals[output_node] = upstream, 1
        op_node = picture.op_nodes[id(op)]
        inputs = viz._input_tensors(op)
        input_nodes = [picture.tensor_nodes[viz._tensor_key(t, p)]
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
        names = [picture.nodes[node]["name"] for node in input_nodes]
        out_name = picture.nodes[result_node[id(op)]]["name"]
        lines = _caption(op, root, out_name, names, upstream, local, sent, arrivals, expected,
                         input_nodes, look)
        title = f"Step {number} of {len(records)}: {viz._op_lines(op)[0]}"
        steps.append(Step(number, len(records), op, title, lines, upstream, sent, local,
                          steps=None))
        done_ops.add(op_node)
        frames.append(_frame(picture, op, op_node, result_node[id(op)], input_nodes,
                             receiving, done_ops, sums, arrivals, expected))
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


def _caption(op, root, out_name, names, upstream, local, sent, arrivals, expected, input_nodes,
             look):
    """The plain-text lines under a frame's title."""
    rules = RULES.get(op.name)
    symbols = {"g": "g", "out": out_name}
    symbols.update(zip("abc", names))
    lines = [f"from above: g = \u2202{root}/\u2202{out_name} = {_text(upstream, look)}"]
    for position, (name, grad) in enumerate(zip(names, sent)):
        if grad is None:
            lines.append(f"to {name} (input {position}): no gradient needed")
            continue
        if rules is not None and position < len(rules):
            local_rule, sent_rule = (part.format(**symbols) for part in rules[position])
        else:
            local_rule, sent_rule = f"\u2202{out_name}/\u2202{name}", f"{op.name}.backward(g)"
        text = f"to {name} (input {position}): local \u2202{out_name}/\u2202{name} = {local_rule}"
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


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text(array, look):
    """A value for a caption: in full when small, else its shape and the style's summary."""
    array = np.asarray(array)
    text = viz._values(array, look, gradient=True)
    return text if array.size <= look.full_values else f"{viz._shape_text(array.shape)}, {text}"


def _frame(picture, op, op_node, result, input_nodes, receiving, done_ops, sums, arrivals,
           expected):
    """One frame's restyling: node attributes, edge attributes and gradient lines."""
    attributes, grads = {}, {}
    for node, info in picture.nodes.items():
        if info["kind"] == "op":
            if node not in done_ops:
                attributes[node] = NOT_YET
            continue
        if "tensor" not in info:
            continue
        if node not in expected:
            grads[node] = ""  # an input that needs no gradient
        elif node in sums and arrivals[node] >= expected[node]:
            grads[node] = viz._values(sums[node], picture.look, gradient=True)
        elif node in sums:  # some of the tensor's uses have sent their part, not all
            grads[node] = (viz._values(sums[node], picture.look, gradient=True)
                           + f" (part {arrivals[node]} of {expected[node]})")
        else:
            grads[node] = PENDING
            attributes[node] = NOT_YET
    attributes[op_node] = CURRENT_OP
    attributes[result] = FROM_ABOVE
    for node in receiving:
        attributes[node] = RECEIVING
    if picture.look.compact:  # an op drawn with its result: the result's state shows too
        for op_box, result_node in picture.results.items():
            if op_box == op_node:
                continue
            if result_node in receiving:
                attributes[op_box] = {**NOT_YET, **RECEIVING, "fontcolor": "#000000"}
            elif result_node in sums and op_box not in done_ops:
                attributes[op_box] = {**NOT_YET, "fontcolor": "#000000"}
    edges = {(node, op_node): CURRENT_EDGE for node in input_nodes}
    edges[(op_node, result)] = CURRENT_EDGE
    return attributes, edges, grads


# ---------------------------------------------------------------------- rendering


def render_steps(steps: BackwardSteps, path: str | os.PathLike[str] | None = None) -> StepsPage:
    """Render ``steps`` (from ``backward_steps``): ``path`` ending in ``.html`` writes one
    self-contained page; any other path (``"frames/"``, ``"frames"``) is a folder that gets
    ``step_01.svg``, ``step_02.svg``, ... with the caption above each frame. Returns a
    ``StepsPage`` (a notebook shows it inline), whose ``files`` lists what was written."""
    steps = list(steps) if not isinstance(steps, BackwardSteps) else steps
    if not steps:
        raise ValueError("render_steps: there are no steps to render")
    for step in steps:
        if not isinstance(step, Step):
            raise TypeError(
                f"render_steps expects the steps from backward_steps, got {type(step).__name__}")
    owner = steps[0].steps
    if any(step.steps is not owner for step in steps):
        raise ValueError("render_steps: the steps come from different backward_steps calls")
    if path is not None:
        path = os.fspath(path)
        suffix = os.path.splitext(path.rstrip("/\\"))[1].lower()
        if suffix not in ("", ".html", ".htm") and not os.path.isdir(path):
            raise ValueError(
                f"render_steps: path must end in .html (one page) or name a folder (numbered "
                f"SVG files), got {path!r}")
    _require_dot()
    sizes = owner.sizes()
    svgs = [_svg_element(owner.frame(step.number - 1, sizes).pipe(format="svg").decode())
            for step in steps]
    page = StepsPage(steps, svgs)
    if path is not None:
        if os.path.splitext(path.rstrip("/\\"))[1].lower() in (".html", ".htm") and \
                not os.path.isdir(path):
            folder = os.path.dirname(os.path.abspath(path))
            os.makedirs(folder, exist_ok=True)
            with open(path, "w", encoding="utf-8") as file:
                file.write(page.html)
            page.files = [path]
        else:
            page.files = page.write_frames(path)
    return page


def _require_dot():
    import shutil

    if shutil.which("dot") is None:
        raise viz.GraphvizNotFoundError(
            f"Graphviz's `dot` program was not found on PATH, so the frames cannot be drawn. "
            f"{viz.INSTALL_HINT}")


def _svg_element(svg):
    """Graphviz's SVG document without its XML prologue and comments: the ``<svg>`` element."""
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    return svg[svg.index("<svg"):].strip()


class StepsPage:
    """The rendered steps: ``html`` (the self-contained page), ``files`` (what was written) and
    ``_repr_html_``, which shows the page inline in a notebook (in an iframe, so that several
    pages and their keys do not interfere)."""

    def __init__(self, steps, svgs):
        self.steps, self.svgs, self.files = steps, svgs, []
        self.html = _page(steps, svgs)

    def write_frames(self, folder: str | os.PathLike[str]) -> list[str]:
        """Write ``step_01.svg``, ... (caption above the frame) into ``folder``; returns the
        paths."""
        os.makedirs(folder, exist_ok=True)
        digits = max(2, len(str(len(self.steps))))
        paths = []
        for step, svg in zip(self.steps, self.svgs):
            path = os.path.join(folder, f"step_{step.number:0{digits}d}.svg")
            with open(path, "w", encoding="utf-8") as file:
                file.write(_captioned_svg(step, svg))
            paths.append(path)
        return paths

    def _repr_html_(self):
        height = min(900, 260 + max(_svg_size(svg)[1] for svg in self.svgs))
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                f'style="width: 100%; height: {height:.0f}px; border: 1px solid #ddd"></iframe>')


def _svg_size(svg):
    """An SVG element's width and height in CSS pixels (Graphviz writes points)."""
    match = re.search(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', svg)
    return (float(match.group(1)) * 4 / 3, float(match.group(2)) * 4 / 3) if match else (0, 0)


def _captioned_svg(step, svg):
    """A frame as a standalone SVG: the title and caption lines, then the graph below."""
    width, height = (value * 3 / 4 for value in _svg_size(svg))  # in points, as Graphviz's
    size, leading = 14, 20
    texts = [(step.title, "bold")] + [(line, "normal") for line in step.lines]
    caption = len(texts) * leading + 16
    total_width = max(width, max(len(text) for text, _ in texts) * size * 0.6 + 32)
    body = ['<rect width="100%" height="100%" fill="white"/>']
    for row, (text, weight) in enumerate(texts):
        body.append(f'<text x="16" y="{24 + row * leading}" font-family="Helvetica, Arial, '
                    f'sans-serif" font-size="{size}" font-weight="{weight}">'
                    f'{html.escape(text)}</text>')
    inner = re.sub(r'^<svg([^>]*?width="[\d.]+)pt("[^>]*?height="[\d.]+)pt"',
                   rf'<svg x="0" y="{caption}"\1\2"', svg, count=1)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
            f' width="{total_width:.0f}pt" height="{caption + height:.0f}pt"'
            f' viewBox="0 0 {total_width:.0f} {caption + height:.0f}">\n'
            + "\n".join(body) + "\n" + inner + "\n</svg>\n")


PAGE_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd;
         padding: 10px 16px; z-index: 1; }
h1 { font-size: 18px; margin: 0 0 8px 0; }
.controls { display: flex; align-items: center; gap: 12px; }
.controls button { font-size: 15px; padding: 4px 12px; }
.controls input[type=range] { flex: 1; max-width: 480px; }
#counter { font-weight: bold; min-width: 110px; }
.help { color: #777; font-size: 13px; }
.frame { padding: 8px 16px; }
.frame h2 { font-size: 17px; margin: 4px 0; }
.caption { font-size: 15px; line-height: 1.45; margin: 0 0 8px 0; padding: 0; list-style: none; }
.caption li { margin: 0; }
.legend { font-size: 13px; color: #555; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px -2px 10px;
               border: 3px solid; }
.picture { overflow: auto; }
.picture svg { display: block; height: auto; max-width: none; }
"""

PAGE_SCRIPT = """
(function () {
  var frames = document.querySelectorAll('.frame');
  var slider = document.getElementById('slider');
  var previous = document.getElementById('previous');
  var next = document.getElementById('next');
  var counter = document.getElementById('counter');
  var current = 0;
  // A frame fits the window's width unless its text would shrink below 60%: then it keeps
  // its own size and scrolls, the op being processed scrolled into view.
  function fit() {
    var pictures = document.querySelectorAll('.picture svg');
    for (var i = 0; i < pictures.length; i++) {
      var natural = parseFloat(pictures[i].getAttribute('width')) * 4 / 3;
      var room = document.body.clientWidth - 32;
      pictures[i].style.width = Math.max(Math.min(natural, room), 0.6 * natural) + 'px';
    }
  }
  function show(index) {
    current = Math.max(0, Math.min(frames.length - 1, index));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = i !== current; }
    slider.value = current + 1;
    counter.textContent = 'Step ' + (current + 1) + ' of ' + frames.length;
    previous.disabled = current === 0;
    next.disabled = current === frames.length - 1;
    var focus = frames[current].getAttribute('data-node');
    var titles = frames[current].querySelectorAll('g.node > title');
    for (var k = 0; k < titles.length; k++) {
      if (titles[k].textContent === focus) {
        titles[k].parentNode.scrollIntoView({block: 'nearest', inline: 'nearest'});
      }
    }
  }
  previous.addEventListener('click', function () { show(current - 1); });
  next.addEventListener('click', function () { show(current + 1); });
  slider.addEventListener('input', function () { show(slider.value - 1); });
  document.addEventListener('keydown', function (event) {
    if (event.target === slider) { return; }  // the slider moves itself with the arrows
    if (event.key === 'ArrowRight') { show(current + 1); event.preventDefault(); }
    if (event.key === 'ArrowLeft') { show(current - 1); event.preventDefault(); }
    if (event.key === 'Home') { show(0); event.preventDefault(); }
    if (event.key === 'End') { show(frames.length - 1); event.preventDefault(); }
  });
  window.addEventListener('resize', fit);
  fit();
  show(0);
})();
"""


def _page(steps, svgs):
    """The self-contained HTML page: every frame inline, one shown at a time."""
    total = len(steps)
    title = f"Backpropagation step by step: {total} ops"
    sections = []
    for step, svg in zip(steps, svgs):
        node = step.steps.picture.op_nodes[id(step.op)]
        svg = re.sub(r'\bid="', f'id="s{step.number}_', svg)  # ids unique across frames
        items = "".join(f"<li>{html.escape(line)}</li>" for line in step.lines)
        sections.append(
            f'<section class="frame" id="step-{step.number}" data-node="{node}" '
            f'data-op="{html.escape(step.op.name)}" hidden>\n'
            f"<h2>{html.escape(step.title)}</h2>\n<ul class=\"caption\">{items}</ul>\n"
            f'<div class="picture">{svg}</div>\n</section>')
    compact = steps[0].steps.picture.look.compact
    legend = ('<div class="legend">'
              '<span style="border-color:#bf9000;background:#ffe599"></span>the op being '
              'processed' + (" (with its output, where g arrives)" if compact else
                             ' <span style="border-color:#1f77b4"></span>its output (g '
                             'arrives here)')
              + ' <span style="border-color:#d62728"></span>inputs receiving a gradient '
              '<span style="border-color:#c8c8c8;background:#f2f2f2"></span>not reached yet'
              '</div>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{html.escape(title)}</h1>\n<div class=\"controls\">\n"
        '<button id="previous" type="button">&#9664; Previous</button>\n'
        f'<input id="slider" type="range" min="1" max="{total}" value="1" '
        'aria-label="step">\n<button id="next" type="button">Next &#9654;</button>\n'
        f'<span id="counter">Step 1 of {total}</span>\n'
        '<span class="help">arrow keys step, Home/End jump</span>\n</div>\n'
        f"{legend}\n</header>\n<main>\n" + "\n".join(sections) + "\n</main>\n"
        f"<script>{PAGE_SCRIPT}</script>\n</body>\n</html>\n")
