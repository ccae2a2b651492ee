"""What a drawing reads from the op graph: each op's inputs (alive, or freed by backward), its
result, the main data path, the arrays it holds and saved, and which nodes lie nearest the
output when a graph is too big to draw whole.

The graph is walked with ``autograd.topological_order``, the same iterative walk ``backward``
uses, so any depth works. A tensor node is known by ``_tensor_key``: an op's result by its op,
a leaf by itself.
"""

from __future__ import annotations

import weakref
from collections import deque

import numpy as np

from ..tensor import Tensor


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

