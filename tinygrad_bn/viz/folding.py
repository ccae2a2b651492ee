"""Folding: how a picture shrinks before it is drawn.

- **Repeated blocks** (``fold_repeats``): consecutive runs of the same block of module calls
  (eight ``Linear -> BatchNorm1d -> ReLU``) keep their first and last block in full and become
  one node in between, ``x 6 more blocks like these (fc2 ... fc7)``. This is for legibility:
  a deep network on a slide reads at the size of a shallow one.
- **Size** (``summarise``): a picture with more nodes than ``max_nodes`` is shrunk until it
  fits, never refused. First every outermost module cluster becomes one node (``fc1: Linear``,
  ``2 ops and 4 tensors collapsed``); if that is not enough, the nodes farthest from the output
  become one.

Edges follow their ends, so the picture stays connected, the output is never folded, and a
folded or collapsed node that swallowed part of the main data path stays on it.

(A graph drawn without a model has no clusters to fold: it keeps only the nodes nearest the
output while it is walked, see ``model._Picture`` and ``walk._nearest``.)
"""

from __future__ import annotations

from collections import Counter, deque

from .labels import _count, _op_lines

MIN_REPEATS = 3  # a run folds only if a block remains between its first and last


def summarise(picture, max_nodes):
    """Shrink ``picture`` (a ``model._Picture``) to at most ``max_nodes`` nodes; return notes on
    what went, those made while walking first."""
    notes = list(picture.notes)
    if len(picture.nodes) > max_nodes and picture.clusters:
        notes.append(_collapse_clusters(picture))
    if len(picture.nodes) > max_nodes:
        notes.append(_collapse_far_nodes(picture, max_nodes))
    return notes


def _merge(picture, groups, kind="collapsed", edge_kind="collapsed"):
    """Replace each group of nodes by one node of ``kind`` outside any cluster, in one pass
    over the edges: ``groups`` maps a member node to ``(new node, label lines)``. Edges
    follow their ends; edges inside a group vanish, parallel ones are drawn once, as
    ``edge_kind`` when they join two nodes of the main path. A new node that swallowed part of
    the main path stays on it."""
    nodes = {}
    for node, info in picture.nodes.items():
        if node not in groups:
            nodes[node] = info
            continue
        new_node, lines = groups[node]
        merged = nodes.setdefault(new_node, {"kind": kind, "lines": lines,
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
            on_path = nodes[new_tail]["main"] and nodes[new_head]["main"]
            merged.append((new_tail, new_head, edge_kind if on_path else "collapsed", None))
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


def fold_repeats(picture, min_repeats=MIN_REPEATS):
    """Fold each run of at least ``min_repeats`` consecutive blocks of the same structure into
    its first block, one node standing for the blocks between, and its last block; return one
    note per run.

    The main data path is cut into *units*: one per outermost module call on it, and one per
    op on it outside any module. Two units are alike when they call the same module type and
    run the same ops, with the same arguments and the same scalar constants, into results of
    the same shapes (a first block may read a different width: ``Linear(20 -> 64)`` is alike
    ``Linear(64 -> 64)``). A
    *block* is a sequence of units that holds at least one module call; a run is a block
    repeated back to back, found left to right, the longest first (and of those, the shortest
    block). A unit's members are its cluster's nodes (or its op and result) and the leaves
    (parameters, buffers, constants, saved tensors) read only by the block.
    """
    if min_repeats < MIN_REPEATS:
        raise ValueError(f"min_repeats must be at least {MIN_REPEATS}, got {min_repeats}")
    units = _units(picture)
    constants = {}
    for tail, head, kind, _ in picture.edges:
        if kind == "input" and picture.nodes[tail]["kind"] == "input" \
                and picture.rows[head][0] != tail:  # the data a first block reads is no constant
            constants.setdefault(head, []).append(tail)
    signatures = [_signature(picture, unit, constants) for unit in units]
    notes, groups, folded_clusters = [], {}, set()
    start = 0
    while start < len(units):
        period, repeats = _longest_run(units, signatures, start, min_repeats)
        if not repeats:
            start += 1
            continue
        blocks = [units[start + b * period: start + (b + 1) * period] for b in range(repeats)]
        fold_node = f"f_{units[start + period]['ops'][0]}"
        folded = blocks[1:-1]
        members = _block_members(picture, [unit for block in folded for unit in block])
        lines = _fold_lines(picture, blocks, folded)
        for node in members:
            groups[node] = (fold_node, lines)
        folded_clusters.update(unit["cluster"] for block in folded for unit in block)
        notes.append(f"{_count(len(folded), 'repeated block')} {lines[-1]} folded into one node")
        start += repeats * period
    if groups:
        _merge(picture, groups, kind="folded", edge_kind="data")
        _drop_clusters(picture, folded_clusters - {None})
        # the op after a folded node reads its main input from it, beside its row of inputs
        picture.rows = {op: (groups.get(main, (main,))[0], sides)
                        for op, (main, sides) in picture.rows.items() if op not in groups}
    return notes


def _units(picture):
    """The main path cut into units, in forward order: ``{"cluster": outermost cluster or
    None, "ops": [op nodes on the main path]}``."""
    units = []
    for node, info in picture.nodes.items():  # nodes are in forward order
        if info["kind"] != "op" or not info["main"]:
            continue
        cluster = _outermost(picture, info["cluster"])
        if cluster is not None and units and units[-1]["cluster"] == cluster:
            units[-1]["ops"].append(node)
        else:
            units.append({"cluster": cluster, "ops": [node]})
    return units


def _outermost(picture, cluster):
    while cluster is not None and picture.clusters[cluster]["parent"] is not None:
        cluster = picture.clusters[cluster]["parent"]
    return cluster


def _signature(picture, unit, constants):
    """What must match for two units to be alike: the module type, and every op of the
    unit's cluster (on the main path or not) with its arguments, its result's shape and its
    constant inputs (``constants``: op node -> their nodes): their shapes, and the value of
    a scalar (``LeakyReLU(0.1)`` multiplies by a constant 0.1)."""
    cluster = unit["cluster"]
    if cluster is None:
        ops = unit["ops"]
    else:
        ops = [node for node, info in picture.nodes.items() if info["kind"] == "op"
               and _outermost(picture, info["cluster"]) == cluster]
    described = []
    for node in ops:
        result = picture.nodes.get(picture.results.get(node), {})
        shape = tuple(result["tensor"].shape) if "tensor" in result else None
        fixed = []
        for constant in constants.get(node, ()):
            tensor = picture.nodes[constant]["tensor"]
            value = tensor._array.tobytes() if tensor.ndim == 0 else None
            fixed.append((tuple(tensor.shape), tensor.dtype, value))
        described.append((tuple(_op_lines(picture.nodes[node]["op"])), shape, tuple(fixed)))
    module_type = None if cluster is None else picture.clusters[cluster]["type"]
    return module_type, tuple(described)


def _longest_run(units, signatures, start, min_repeats):
    """``(period, repeats)`` of the run covering the most units from ``start`` (the shortest
    block among equals), or ``(0, 0)`` when no block repeats ``min_repeats`` times there."""
    best = (0, 0)
    for period in range(1, (len(units) - start) // min_repeats + 1):
        block = signatures[start:start + period]
        if all(unit["cluster"] is None for unit in units[start:start + period]):
            continue  # ops outside modules alone do not make a block
        repeats = 1
        while signatures[start + repeats * period: start + (repeats + 1) * period] == block:
            repeats += 1
        if repeats >= min_repeats and repeats * period > best[0] * best[1]:
            best = (period, repeats)
    return best


def _block_members(picture, units):
    """The nodes the ``units`` stand for: their clusters' nodes (their ops and results outside
    clusters), and the nodes with no input read only by those; never the output."""
    clusters = {unit["cluster"] for unit in units} - {None}
    members = {node for node, info in picture.nodes.items()
               if _outermost(picture, info["cluster"]) in clusters}
    for unit in units:
        if unit["cluster"] is None:
            members.update(unit["ops"])
            members.update(picture.results[op] for op in unit["ops"])
    readers, fed = {}, set()
    for tail, head, _, _ in picture.edges:
        readers.setdefault(tail, set()).add(head)
        fed.add(head)
    members |= {node for node, heads in readers.items()
                if node not in fed and heads <= members}
    return {node for node in members if picture.nodes[node]["kind"] != "output"}


def _fold_lines(picture, blocks, folded):
    """The folded node's label: how many blocks it stands for and which, e.g.
    ``x 6 more blocks``, ``like these``, ``(fc2 ... fc7)``."""
    def block_name(block):
        for unit in block:
            if unit["cluster"] is not None:
                info = picture.clusters[unit["cluster"]]
                return info["name"] or info["type"]
        return picture.nodes[block[0]["ops"][0]]["op"].name

    count = len(folded)
    names = block_name(folded[0]) if count == 1 else \
        f"{block_name(folded[0])} \u2026 {block_name(folded[-1])}"
    noun = "block" if count == 1 else "blocks"
    return [f"\u00d7 {count} more {noun}", "like these", f"({names})"]


def _drop_clusters(picture, folded):
    """Forget the clusters (and the clusters inside them) whose nodes were folded."""
    gone = {cluster for cluster in picture.clusters if _outermost(picture, cluster) in folded}
    picture.clusters = {cluster: info for cluster, info in picture.clusters.items()
                        if cluster not in gone}
    for info in picture.nodes.values():
        if info["cluster"] in gone:
            info["cluster"] = None
