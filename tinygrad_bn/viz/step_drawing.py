"""The step player's one drawing: Graphviz lays the picture out and draws it once, and every
frame is a short list of changes to that drawing (which node and edge is highlighted or greyed,
which gradient line reads what), applied by the page's script or, for SVG files, by
``frame_svgs``. A page therefore grows with the graph, not with the graph times its ops.

The drawing is the picture as ``draw_graph`` draws it, each gradient line at its longest over
all frames, so that every node is as large as any frame needs and all frames share one layout.
A change restyles one SVG group of the drawing (a node's or an edge's ``<g>``): it gives the
paint (``PAINT``) of each of the group's shapes and texts, in order, as one entry of a table
of looks, and, for a node with a gradient line, that line's text (the group's last ``<text>``).
Each change is the element's whole state, so any frame is reached from any other by setting
the elements that changed in between to their latest change up to that frame.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

from .graphviz_writer import _label, to_digraph
from .steps import _apply

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NAMESPACE)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
_TITLE, _TEXT, _GROUP = (f"{{{SVG_NAMESPACE}}}{tag}" for tag in ("title", "text", "g"))
# The SVG attributes a frame sets on a group's shapes and on its texts; None removes one.
PAINT = ("fill", "stroke", "stroke-width")
TEXT_PAINT = ("fill",)
# The Graphviz attributes a frame may change (styles.NOT_YET, CURRENT_OP, ...): how Graphviz
# paints them is what ``_Restyler.paint`` writes.
RESTYLED = {"fillcolor", "color", "penwidth", "fontcolor"}
# How many edges Graphviz's network simplex looks at for each pivot (its default is 30). The
# pivots that place nodes across the ranks dominate the layout of a large graph; at 200 a
# 1,000-op MLP with its gradient lines is placed in a quarter of the time, and the drawing
# came out byte for byte the same on every graph tried (benchmarks/step_page_scaling.py).
SEARCH_SIZE = "200"


class SharedDrawing:
    """The drawing every frame of ``steps`` (a ``BackwardSteps``) shares, and each frame's
    changes to it.

    - ``svg``: the ``<svg>`` element Graphviz's ``dot`` drew (one run of ``dot``).
    - ``elements``: the SVG ids of the groups some frame changes (``"node7"``, ``"edge3"``).
    - ``looks``: per look, per child of a group (title left out), its paint: attribute ->
      value, None where the attribute is absent.
    - ``changes``: per frame, ``[element, look]`` or ``[element, look, gradient line]``
      (indices into ``elements`` and ``looks``); the first frame lists every element that any
      frame changes, so each element's state at a frame is its latest change up to it.
    - ``focus``: per frame, the node processed (its name in the picture, the group's title).
    """

    def __init__(self, steps):
        picture = steps.picture
        graph = to_digraph(picture, steps.rankdir, [], legend=False,
                           grads=steps.longest_grads())
        graph.attr(searchsize=SEARCH_SIZE)
        self.svg = _svg_element(graph.pipe(format="svg").decode())
        self.elements, self.looks, self.changes = [], [], []
        self.focus = [picture.op_nodes[id(step.op)] for step in steps]
        self._make_changes(steps, _Restyler(picture, self.svg))

    def _make_changes(self, steps, restyler):
        """Each frame's entries, from the frames' changes to the picture (``steps.changes``)."""
        element_numbers, look_numbers, shown = {}, {}, {}

        def look_number(look):
            key = json.dumps(look, sort_keys=True)
            if key not in look_numbers:
                look_numbers[key] = len(self.looks)
                self.looks.append(look)
            return look_numbers[key]

        attributes, edges, grads = {}, {}, {}
        for node_changes, edge_changes, grad_changes in steps.changes:
            _apply(attributes, node_changes)
            _apply(edges, edge_changes)
            grads.update(grad_changes)
            restyled = {}  # SVG id -> (look, gradient line or None)
            for node in {*node_changes, *grad_changes}:
                restyled.update(restyler.node_states(node, attributes, grads))
            for edge in edge_changes:
                restyled.update(restyler.edge_states(edge, edges.get(edge, {})))
            entries = []
            for svg_id, (look, text) in sorted(restyled.items()):
                if shown.get(svg_id) == (look, text):
                    continue
                shown[svg_id] = (look, text)
                if svg_id not in element_numbers:
                    element_numbers[svg_id] = len(self.elements)
                    self.elements.append(svg_id)
                entry = [element_numbers[svg_id], look_number(look)]
                entries.append(entry if text is None else entry + [text])
            self.changes.append(entries)
        # an element that the first frame leaves alone shows in it as the drawing has it
        first = {entry[0] for entry in self.changes[0]}
        self.changes[0] += [[element, look_number(restyler.paint(svg_id, {}))]
                            for element, svg_id in enumerate(self.elements)
                            if element not in first]

    def frame_svgs(self):
        """Each frame's whole ``<svg>`` element, in order: the drawing with the changes up to
        that frame applied (for SVG files; the page applies them in the browser)."""
        root = ET.fromstring(self.svg)
        groups = {group.get("id"): group for group in root.iter(_GROUP)}
        for entries in self.changes:
            for element, look, *text in entries:
                group = groups[self.elements[element]]
                parts = [part for part in group if part.tag != _TITLE]
                for part, paint in zip(parts, self.looks[look]):
                    for name, value in paint.items():
                        if value is None:
                            part.attrib.pop(name, None)
                        else:
                            part.set(name, value)
                if text:
                    [part for part in parts if part.tag == _TEXT][-1].text = text[0]
            yield ET.tostring(root, encoding="unicode")

    def script_data(self) -> str:
        """``elements``, ``looks``, ``changes`` and ``focus`` as JSON that is safe inside an
        HTML ``<script>`` element: no ``<``, ``>`` or ``&`` is left to end it."""
        text = json.dumps({"elements": self.elements, "looks": self.looks,
                           "changes": self.changes, "focus": self.focus},
                          separators=(",", ":"))
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Restyler:
    """How marks on the picture (a frame's node and edge attributes and gradient lines) become
    the paint and text of the drawing's SVG groups: which groups draw a node or an edge, as
    the Graphviz writer emits them, and each group's own paint. Needed only while the changes
    are made."""

    def __init__(self, picture, svg):
        self.picture = picture
        self.merged = picture.merged_results() if picture.look.compact else {}
        self.results = {op: result for result, op in self.merged.items()}
        self.rows = picture.rows_to_draw()
        self.nodes, self.edges = {}, {}  # title -> SVG id; title -> SVG ids
        self.base = {}  # SVG id -> per part (title left out): (is text, its paint)
        for _, group in ET.iterparse(io.StringIO(svg)):
            kind = group.get("class") if group.tag == _GROUP else None
            if kind not in ("node", "edge"):
                continue
            svg_id, title = group.get("id"), group.findtext(_TITLE)
            if kind == "node":
                self.nodes[title] = svg_id
            else:
                self.edges.setdefault(title, []).append(svg_id)
            self.base[svg_id] = [
                (part.tag == _TEXT, {name: part.get(name) for name in
                                     (TEXT_PAINT if part.tag == _TEXT else PAINT)})
                for part in group if part.tag != _TITLE]
            group.clear()
        self.edge_ids = {svg_id for ids in self.edges.values() for svg_id in ids}

    def node_states(self, node, attributes, grads):
        """SVG id -> (look, gradient line or None) of the group drawing ``node``, as
        ``to_digraph`` draws it: an op drawn with its result takes the result's attributes,
        then its own, and shows the result's gradient line last."""
        drawn = self.merged.get(node, node)
        if drawn not in self.nodes:
            return {}
        tensor = self.results.get(drawn, drawn)
        marks = {**attributes.get(tensor, {}), **attributes.get(drawn, {})}
        look, grad = self.paint(self.nodes[drawn], marks), grads.get(tensor)
        text = _shown_line(self.picture.node_lines(tensor, grad)[-1]) if grad else None
        return {self.nodes[drawn]: (look, text)}

    def edge_states(self, edge, marks):
        """SVG id -> (look, None) of each group that draws the picture's edge ``(tail,
        head)``: none for an op's edge to the result drawn inside it, two where the edge runs
        through the point of a row of side inputs (``graphviz_writer``), else one (or more:
        ``a * a`` draws two)."""
        tail, head = edge
        if self.merged.get(head) == tail:
            return {}
        tail = self.merged.get(tail, tail)
        ids = list(self.edges.get(f"{tail}->{head}", ()))
        row = self.rows.get(head)
        if row is not None and row[0] == tail:
            point = f"p_{head}"
            ids += self.edges.get(f"{tail}->{point}", []) + self.edges.get(f"{point}->{head}", [])
        return {svg_id: (self.paint(svg_id, marks), None) for svg_id in ids}

    def paint(self, svg_id, marks):
        """The look Graphviz gives group ``svg_id`` with the attributes ``marks`` on top of its
        own: ``color`` strokes every shape (and fills an edge's arrowhead), ``fillcolor`` fills
        a node's filled shape, ``penwidth`` is every shape's ``stroke-width`` and
        ``fontcolor`` fills the text."""
        unknown = set(marks) - RESTYLED
        if unknown:
            raise NotImplementedError(
                f"the step player cannot restyle {sorted(unknown)} over its shared drawing; "
                f"frames may change {sorted(RESTYLED)}")
        look, edge = [], svg_id in self.edge_ids
        for is_text, paint in self.base[svg_id]:
            paint = dict(paint)
            if is_text:
                if "fontcolor" in marks:
                    paint["fill"] = marks["fontcolor"]
            else:
                filled = paint["fill"] not in (None, "none")
                if "color" in marks:
                    paint["stroke"] = marks["color"]
                    if edge and filled:
                        paint["fill"] = marks["color"]
                if "fillcolor" in marks and filled and not edge:
                    paint["fill"] = marks["fillcolor"]
                if "penwidth" in marks:
                    paint["stroke-width"] = marks["penwidth"]
            look.append(paint)
        return look


def _shown_line(line):
    """A label line as Graphviz shows it: ``_label`` escapes it for Graphviz (shortening a long
    line, making control characters visible, doubling backslashes); Graphviz undoes the
    doubling."""
    return str(_label([line])).replace("\\\\", "\\")


def _svg_element(svg):
    """Graphviz's SVG document without its XML prologue and comments: the ``<svg>`` element."""
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    return svg[svg.index("<svg"):].strip()
