"""Folding: a picture with more nodes than ``max_nodes`` is shrunk until it fits, never refused.
First every outermost module cluster becomes one node (``fc1: Linear``, ``2 ops and 4 tensors
collapsed``); if that is not enough, the nodes farthest from the output become one. Edges
follow their ends, so the picture stays connected, and a note says what went.

(A graph drawn without a model has no clusters to fold: it keeps only the nodes nearest the
output while it is walked, see ``model._Picture`` and ``walk._nearest``.)
"""

from __future__ import annotations

from collections import Counter, deque

from .labels import _count


def summarise(picture, max_nodes):
    """Shrink ``picture`` (a ``model._Picture``) to at most ``max_nodes`` nodes; return notes on
    what went, those made while walking first."""
    notes = list(picture.notes)
    if len(picture.nodes) > max_nodes and picture.clusters:
        notes.append(_collapse_clusters(picture))
    if len(picture.nodes) > max_nodes:
        notes.append(_collapse_far_nodes(picture, max_nodes))
    return notes


def _merge(picture, groups):
    """Replace each group of nodes by one collapsed node outside any cluster, in one pass
    over the edges: ``groups`` maps a member node to ``(new node, label lines)``. Edges
    follow their ends; edges inside a group vanish, parallel ones are drawn once. A
    collapsed node that swallowed part of the main path stays on it."""
    nodes = {}
    for node, info in picture.nodes.items():
        if node not in groups:
            nodes[node] = info
            continue
        new_node, lines = groups[node]
        merged = nodes.setdefault(new_node, {"kind": "collapsed", "lines": lines,
                                             "cluster": None, "main": False})
        merged["main"] = merged["main"] or info["main"]
    picture.nodes = nodes
    merged, seen = [], set()
    for edge in picture.edges:
        tail, head = edge[:2]
        new_tail, new_head = groups.get(tail, (tail,))[0], groups.get(head, (head,))[0]
        if new_tail == new_head:
            continue
        if new_tail == tail and new_head == head:
            merged.append(edge)
        elif (new_tail, new_head) not in seen:
            seen.add((new_tail, new_head))
            merged.append((new_tail, new_head, "collapsed", None))
    picture.edges = merged
    picture.find_common_dtype()


def _collapse_clusters(picture):
    """Merge each outermost module cluster, and every cluster inside it, into one node (all
    but the output node); returns the note."""
    outermost = {}  # cluster -> its outermost enclosing cluster, each path walked once

    def top_of(cluster):
        path = []
        while cluster not in outermost and picture.clusters[cluster]["parent"] is not None:
            path.append(cluster)
            cluster = picture.clusters[cluster]["parent"]
        top = outermost.get(cluster, cluster)
        for member in path + [cluster]:
            outermost[member] = top
        return top

    members = {}
    for node, info in picture.nodes.items():
        # the output stays a node of its own, even when a module (a loss) produced it
        if info["cluster"] is not None and info["kind"] != "output":
            members.setdefault(top_of(info["cluster"]), []).append(node)
    groups = {}
    for cluster, nodes in members.items():
        ops = sum(1 for n in nodes if picture.nodes[n]["kind"] == "op")
        lines = [picture.clusters[cluster]["label"],
                 f"{_count(ops, 'op')} and {_count(len(nodes) - ops, 'tensor')} collapsed"]
        for node in nodes:
            groups[node] = (f"c_{cluster}", lines)
    _merge(picture, groups)
    tops = sum(1 for info in picture.clusters.values() if info["parent"] is None)
    picture.clusters = {}
    for info in picture.nodes.values():  # the output, kept out of its cluster
        info["cluster"] = None
    return f"{tops} module clusters collapsed to one node each"


def _collapse_far_nodes(picture, max_nodes):
    """Keep the ``max_nodes - 1`` nodes nearest the output (breadth first against the
    edges) and merge the rest into one node listing the ops it holds."""
    output = next(n for n, info in picture.nodes.items() if info["kind"] == "output")
    feeders = {}
    for tail, head, _, _ in picture.edges:
        feeders.setdefault(head, []).append(tail)
    kept, queue = {output}, deque([output])
    while queue and len(kept) < max_nodes - 1:
        for tail in feeders.get(queue.popleft(), ()):
            if tail not in kept and len(kept) < max_nodes - 1:
                kept.add(tail)
                queue.append(tail)
    far = [n for n in picture.nodes if n not in kept]
    op_names = Counter(picture.nodes[n]["op"].name for n in far
                       if picture.nodes[n]["kind"] == "op")
    listing = ", ".join(f"{name} x{count}" for name, count in op_names.most_common(4))
    lines = [f"{len(far):,} earlier nodes collapsed", f"ops: {listing or 'none'}"]
    _merge(picture, {node: ("c_far", lines) for node in far})
    return f"{len(far):,} nodes farthest from the output collapsed into one"
