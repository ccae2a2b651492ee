"""A second writer of the picture model: plain text, one line per cluster, node and edge. It
shows what a drawing holds without Graphviz (the tests read it), and reads well in a terminal.
"""

from __future__ import annotations


def to_text(picture, notes=()) -> str:
    """``picture`` (a ``model._Picture``) as text: each note, then one line per cluster
    (``cluster_0: fc1: Linear``, ``in`` its parent), per node (``t0 leaf main: x | (2,)
    float32``: its id, kind, ``main`` on the main path, ``in`` its cluster, then its label
    lines joined by ``|``) and per edge (``t0 -> op0 input 0``: its kind, then its label)."""
    lines = [f"note: {note}" for note in notes]
    for cluster, info in picture.clusters.items():
        lines.append(f"{cluster}{_inside(info['parent'])}: {info['label']}")
    for node, info in picture.nodes.items():
        main = " main" if info["main"] else ""
        label = " | ".join(picture.node_lines(node))
        lines.append(f"{node} {info['kind']}{main}{_inside(info['cluster'])}: {label}")
    for tail, head, kind, label in picture.edges:
        lines.append(f"{tail} -> {head} {kind}" + ("" if label is None else f" {label}"))
    return "\n".join(lines)


def _inside(cluster):
    return "" if cluster is None else f" in {cluster}"
