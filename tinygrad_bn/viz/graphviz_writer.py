"""The Graphviz writer: a picture model (``model._Picture``) becomes a ``graphviz.Digraph``,
the DOT source that Graphviz's ``dot`` lays out.

How the layout stays readable at any depth:

- The **main data path** (from the output back through each op's deepest input, down to the
  first input) is one Graphviz ``group``, so it runs straight down (``rankdir="TB"``) or right
  (``"LR"``) through every module.
- Each op's **parameters, buffers** and other single-use leaf inputs sit in one row beside the
  path, in input order, on their own rank inside the op's module cluster (an invisible point
  carries the path through that row). Two consecutive clusters therefore never share a rank,
  which is what used to push every layer sideways into a staircase.
- A picture whose repeated blocks were folded (``folding.fold_repeats``) is, in a style that
  says ``wrap_at_folds`` (the slide style), **cut into lines** after each folded node: each
  line is an invisible cluster, the edge out of the folded node sets no rank, so the next
  line starts over below the first (beside it, top to bottom), and edges are straight lines,
  the one from the folded node a carriage return to the next line's start.

Every label is escaped text (``_label``): a name like ``<<TABLE>...>>`` shows as those
characters, never as Graphviz's HTML-like markup.
"""

from __future__ import annotations

import graphviz

from .rendering import Graph
from .styles import EDGE_STYLES, LEGEND, STYLES, TENSOR_KINDS


def to_digraph(picture, rankdir, notes, legend=True, node_attributes=None,
               edge_attributes=None, grads=None):
    """``picture`` as Graphviz source (a ``Graph``), with ``notes`` on what was summarised as
    its title. ``node_attributes`` (node id -> attributes, a ``label`` among them replacing
    the label), ``edge_attributes`` ((tail, head) -> attributes) and ``grads`` (node id -> a
    ``node_lines`` gradient override) restyle single nodes and edges: the step player redraws
    one picture many times this way."""
    look = picture.look
    node_attributes, grads = node_attributes or {}, grads or {}
    edge_attributes = edge_attributes or {}
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
    merged = picture.merged_results() if look.compact else {}
    children = {}
    for cluster, info in picture.clusters.items():
        children.setdefault(info["parent"], []).append(cluster)
    members = {}
    for node, info in picture.nodes.items():
        if node not in merged:
            members.setdefault(info["cluster"], []).append(node)
    # the point where the main path crosses each row of side inputs is named after the op
    rows = {op_node: (main, f"p_{op_node}", sides)
            for op_node, (main, sides) in picture.rows_to_draw().items()}
    rows_in = {}
    for op_node, (_, pass_node, sides) in rows.items():
        rows_in.setdefault(picture.nodes[op_node]["cluster"], []).append((pass_node, sides))
    results = {op: result for result, op in merged.items()}

    def emit(container, cluster, only=None):
        for node in members.get(cluster, ()):
            if only is not None and node not in only:
                continue
            info = picture.nodes[node]
            attributes = dict(STYLES[info["kind"]])
            if look.compact and info["kind"] in TENSOR_KINDS:
                # a box fits its text in less width than an ellipse
                attributes["shape"] = "box"
                attributes["style"] = attributes["style"].replace("filled", "rounded,filled")
            lines = picture.node_lines(node, grads.get(node))
            result = results.get(node)
            if result is not None:  # an op and its result in one node
                result_lines = picture.node_lines(result, grads.get(result))
                lines = lines + ["\u2192 " + result_lines[0]] + result_lines[1:]
                if picture.nodes[result]["kind"] == "output":
                    attributes = dict(STYLES["output"], shape="box",
                                      style="rounded,filled")
                attributes.update(node_attributes.get(result, {}))
            if info["main"]:
                attributes["group"] = "main"
            attributes.update(node_attributes.get(node, {}))
            label = attributes.pop("label", None) or _label(lines)
            container.node(node, label, **attributes)
        for pass_node, sides in rows_in.get(cluster, ()) if only is None else ():
            # the main path crosses the row of side inputs through a point the size of
            # the line, and invisible edges on one rank keep the row in input order
            container.node(pass_node, "", shape="point", width="0.02", height="0.02",
                           color="#555555", group="main")
            with container.subgraph() as row:
                row.attr(rank="same")
                for tail, head in zip([pass_node] + sides, sides):
                    row.edge(tail, head, style="invis")
        for child in children.get(cluster, ()):
            if only is not None and child not in only:
                continue
            with container.subgraph(name=child) as sub:
                sub.attr(label=_label([picture.clusters[child]["label"]]), style="rounded,dashed",
                         color="#888888", fontsize=str(look.fontsize + 1), labeljust="l")
                emit(sub, child)

    lines = _lines(picture) if look.wrap_at_folds else []
    lines = lines if len(lines) > 1 else [None]
    if len(lines) > 1:
        # Graphviz routes the edge back to the start of a line through every rank between,
        # around the nodes of the line below; a straight line reads as a carriage return
        graph.attr(splines="line", ranksep=str(max(look.ranksep, WRAPPED_RANKSEP)))
    for number, line in enumerate(lines):
        if line is None:
            emit(graph, None)
            continue
        # each line is an invisible cluster, so that Graphviz keeps the lines apart
        with graph.subgraph(name=f"cluster_line_{number}") as sub:
            sub.attr(label="", style="invis")
            emit(sub, None, only=line)
    for tail, head, kind, label in picture.edges:
        if merged.get(head) == tail:
            continue  # an op's edge to its result, which is drawn inside the op's node
        attributes = _edge_attributes(kind, label)
        if (tail, head) in edge_attributes:
            attributes = {**attributes, **edge_attributes[(tail, head)]}
        tail = merged.get(tail, tail)
        if look.compact:  # names say which input is which; labels would widen every gap
            attributes = {k: v for k, v in attributes.items() if k != "label"}
        if "label" in attributes:
            attributes = {**attributes, "label": _label([attributes["label"]])}
        if len(lines) > 1:
            attributes = {**attributes, **_wrapped_edge(picture, tail, kind, rankdir)}
        row = rows.get(head)
        if row is not None and row[0] == tail:
            rows[head] = (None,) + row[1:]  # one edge through the point, not a repeat
            through = {k: v for k, v in attributes.items() if k in ("color", "penwidth")}
            graph.edge(tail, row[1], arrowhead="none", weight="4", **through)
            tail, attributes = row[1], {**attributes, "weight": "4"}
        graph.edge(tail, head, **attributes)
    if legend:
        _legend(graph, picture, merged)
    return graph


def _lines(picture):
    """The picture cut into lines after each folded node on the main path (``Style.
    wrap_at_folds``): for each line, the outermost clusters and the nodes outside clusters
    that it holds, in forward order; a node joins the line of the op it was drawn for."""
    lines, line = [], set()
    for node, info in picture.nodes.items():
        top = info["cluster"]
        while top is not None and picture.clusters[top]["parent"] is not None:
            top = picture.clusters[top]["parent"]
        line.add(node if top is None else top)
        if info["kind"] == "folded" and info["main"]:
            lines.append(line)
            line = set()
    if line:
        lines.append(line)
    return lines


# Inches between ranks in a picture cut into lines: room for the straight edges of side inputs
# to fan out into their op. Such a picture is about as high as it is wide, so on a 16:9 slide
# the extra width costs no scale.
WRAPPED_RANKSEP = 0.7
# Where an edge runs from a side input to its op in a picture of straight edges: from the side
# of the input facing the op into the side of the op facing back, through the gap between two
# ranks, so that it never crosses the nodes stacked beside either.
_FACING = {"LR": ("e", "w"), "RL": ("w", "e"), "TB": ("s", "n"), "BT": ("n", "s")}


def _wrapped_edge(picture, tail, kind, rankdir):
    """An edge's extra attributes in a picture cut into lines: the edge from a folded node on
    to the main path starts the next line (it sets no rank), and side inputs leave their node
    on the side facing their op."""
    tail_kind = picture.nodes[tail]["kind"]
    if tail_kind == "folded" and kind == "data":
        return {"constraint": "false", "weight": "0"}
    if tail_kind in ("input", "leaf", "parameter", "buffer", "saved"):
        return dict(zip(("tailport", "headport"), _FACING[rankdir]))
    return {}


def _edge_attributes(kind, label):
    """An edge's Graphviz attributes: its kind's look (``EDGE_STYLES``) and its label, written
    in one order: the line's style, the label, the rest."""
    look = EDGE_STYLES[kind]
    if label is None:
        return dict(look)
    line = {key: value for key, value in look.items() if key == "style"}
    return {**line, "label": label, **look}


def _legend(graph, picture, merged):
    kinds = [k for k in LEGEND if any(info["kind"] == k for node, info in picture.nodes.items()
                                      if node not in merged)]
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="Legend", style="rounded", color="#bbbbbb",
                    fontsize=str(picture.look.fontsize))
        previous = None
        for kind in kinds:
            legend.node(f"legend_{kind}", LEGEND[kind], **STYLES[kind])
            if previous is not None:
                legend.edge(previous, f"legend_{kind}", style="invis")
            previous = f"legend_{kind}"


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
