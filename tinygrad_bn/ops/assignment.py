"""Ops that write values into a tensor, for the in-place methods autograd records: filling,
copying, index assignment, and the two halves of a write through a view.

An in-place op on a tensor in the graph is recorded as one of these (or as the out-of-place op,
e.g. ``Add`` for ``add_``) whose first input is the tensor's old value; see
``Tensor._write``. Positions into a base array are flat, C-order indices.
"""

import numpy as np

from ..autograd.graph import Op
from .movement import resolve_index


class Fill(Op):
    """Every element set to ``value`` (``fill_``, ``zero_``, the random in-place fills).
    Gradient: zeros for the old value, which no longer matters (as PyTorch gives)."""

    __slots__ = ("value",)
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("value",)

    def __init__(self, value):
        self.value = value

    def forward(self, old):
        return np.full(old.shape, self.value, dtype=old.dtype)

    def backward(self, grad_output):
        return (np.zeros_like(grad_output),)


class Copy(Op):
    """``source`` broadcast to the destination's shape and cast to its dtype (``copy_``).
    Gradient: zeros for the old value; ``grad_output`` for ``source`` (the engine sums it back
    over broadcast dims and casts it to the source's dtype)."""

    __slots__ = ()
    is_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, old, source):
        return np.broadcast_to(source, old.shape).astype(old.dtype)

    def backward(self, grad_output):
        needs_old, needs_source = self.needs_input_grad
        return (np.zeros_like(grad_output) if needs_old else None,
                grad_output if needs_source else None)


class SetItem(Op):
    """``old`` with ``old[index] = value`` (``__setitem__``). ``index`` is a template, as
    ``GetItem``'s: the tensors used in the index follow ``value`` as inputs, in order, and get
    no gradient. Gradients: ``grad_output`` with the assigned positions zeroed for ``old``;
    ``grad_output[index]`` for ``value``."""

    __slots__ = ("index",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("index",)
    array_arguments = ("index",)  # arrays the user gave as Python lists or NumPy arrays

    def __init__(self, index):
        self.index = index

    def forward(self, old, value, *index_arrays):
        index = self.index
        if index_arrays:  # the resolved index is kept for backward (freed with the graph)
            index = resolve_index(index, index_arrays)
            self.saved = (index,)
        out = old.copy()
        out[index] = value
        return out

    def backward(self, grad_output):
        needs_old, needs_value = self.needs_input_grad[:2]
        index = self.saved[0] if self.saved else self.index
        grad_old = grad_value = None
        if needs_old:
            grad_old = grad_output.copy()
            grad_old[index] = 0
        if needs_value:
            grad_value = grad_output[index]
        return (grad_old, grad_value) + (None,) * (len(self.needs_input_grad) - 2)


class WriteThroughView(Op):
    """The new value of a base tensor after an in-place op on one of its views: ``old_base``
    with the view's ``positions`` replaced by ``view_value``. Gradients: ``grad_output`` with
    those positions zeroed for the old base; ``grad_output`` at those positions for the view."""

    __slots__ = ("positions",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ()
    array_arguments = ("positions",)  # from the arrays' layout (``view_positions``), not values

    def __init__(self, positions):
        self.positions = positions

    def forward(self, old_base, view_value):
        out = old_base.copy()
        np.put(out, self.positions, view_value)
        return out

    def backward(self, grad_output):
        grad_base = grad_output.copy()
        np.put(grad_base, self.positions, 0)
        return grad_base, np.take(grad_output, self.positions)


class ReadView(Op):
    """A view's values read from its base at ``positions`` (the view's ``grad_fn`` after an
    in-place write through it). Gradient: ``grad_output`` added into zeros of the base's shape
    at those positions."""

    __slots__ = ("positions", "base_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ()
    array_arguments = ("positions",)  # from the arrays' layout (``view_positions``), not values

    def __init__(self, positions):
        self.positions = positions

    def forward(self, base):
        self.base_shape = base.shape
        return np.take(base, self.positions)

    def backward(self, grad_output):
        grad = np.zeros(self.base_shape, dtype=grad_output.dtype)
        np.add.at(grad.reshape(-1), self.positions, grad_output)
        return (grad,)


def view_positions(base, view):
    """The flat C-order position in ``base`` of each element of ``view``, an array that lies
    in ``base``'s memory: found by matching byte offsets, so any chain of views works."""

    def offsets(array, start):
        result = np.full(array.shape, start, dtype=np.int64)
        for axis, (size, stride) in enumerate(zip(array.shape, array.strides)):
            shape = [1] * array.ndim
            shape[axis] = size
            result = result + (np.arange(size, dtype=np.int64) * stride).reshape(shape)
        return result.reshape(-1)

    address = lambda array: array.__array_interface__["data"][0]  # noqa: E731
    base_offsets = offsets(base, 0)
    view_offsets = offsets(view, address(view) - address(base))
    order = np.argsort(base_offsets, kind="stable")
    found = order[np.searchsorted(base_offsets[order], view_offsets)]
    return found.reshape(view.shape)
