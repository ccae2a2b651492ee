"""Views given by strides (``Tensor.unfold``'s sliding windows, ``as_strided``) and the
accumulating indexed write (``index_put(..., accumulate=True)``, ``put``).

A strided view may show one input element at several output places (overlapping windows), so its
gradient adds ``grad_output`` back at the element positions with ``np.add.at``, which accumulates
repeats: ``d out[j] / d a[i]`` is 1 for every ``j`` that reads ``i``.
"""

import numpy as np

from ..autograd.graph import Op
from .assignment import view_positions
from .movement import resolve_index


def _strided(array, shape, strides):
    """``array`` seen with ``shape`` and element ``strides`` (NumPy's ``as_strided``), writeable
    when ``array`` is (PyTorch's views are)."""
    view = np.lib.stride_tricks.as_strided(
        array, shape=shape, strides=tuple(s * array.itemsize for s in strides),
        writeable=array.flags.writeable)
    return view


class Unfold(Op):
    """``Tensor.unfold(dimension, size, step)``: every window of ``size`` elements, ``step``
    apart, along ``dimension``; that dim becomes the number of windows ``(n - size) // step + 1``
    and the window is a new last dim. A view (windows may overlap and share memory). Gradient:
    ``grad_output`` added back at each window's elements."""

    __slots__ = ("dim", "size", "step", "input_shape")
    is_linear = True  # create_graph: see autograd/higher_order.py
    is_view = True
    arguments = ("dim", "size", "step")

    def __init__(self, dim, size, step):
        self.dim, self.size, self.step = dim, size, step

    def _layout(self, shape, strides):
        d = self.dim
        if not shape:  # a 0-d tensor: one window of its one element
            return (self.size,), (0,)
        windows = (shape[d] - self.size) // self.step + 1
        out_shape = shape[:d] + (windows,) + shape[d + 1:] + (self.size,)
        out_strides = strides[:d] + (strides[d] * self.step,) + strides[d + 1:] + (strides[d],)
        return out_shape, out_strides

    def forward(self, a):
        self.input_shape = a.shape
        shape, strides = self._layout(a.shape, tuple(s // a.itemsize for s in a.strides))
        return _strided(a, shape, strides)

    def backward(self, grad_output):
        grad = np.zeros(self.input_shape, dtype=grad_output.dtype)
        positions = np.arange(grad.size).reshape(self.input_shape)
        shape, strides = self._layout(self.input_shape, _contiguous_strides(self.input_shape))
        np.add.at(grad.reshape(-1), _strided(positions, shape, strides), grad_output)
        return (grad,)


def _contiguous_strides(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


class AsStrided(Op):
    """``as_strided(size, stride, storage_offset)``: the elements at flat C-order positions
    ``storage_offset + sum(i_k * stride_k)`` of the storage (the second input: the base of a
    view, C-contiguous; the input itself when it owns its memory), as a view of that memory.
    Gradient, for the first input only: ``grad_output`` added back at the positions read
    (repeats add), then taken at the input's own positions in the storage (positions outside
    the input get none)."""

    __slots__ = ("size", "stride", "offset", "input_shape", "input_positions", "storage_size")
    is_linear = True  # create_graph: see autograd/higher_order.py
    is_view = True
    arguments = ("size", "stride", "offset")

    def __init__(self, size, stride, offset):
        self.size, self.stride, self.offset = size, stride, offset

    def forward(self, a, storage=None):
        self.input_shape = a.shape
        if storage is None:
            storage = a if a.flags.c_contiguous else np.ascontiguousarray(a)
            self.input_positions = None
        else:
            self.input_positions = view_positions(storage, a)
        self.storage_size = storage.size
        needed = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride)) + 1
        if all(self.size) and needed > storage.size:
            raise RuntimeError(
                f"setStorage: sizes {list(self.size)}, strides {list(self.stride)}, storage "
                f"offset {self.offset}, and itemsize {a.itemsize} requiring a storage size of "
                f"{needed * a.itemsize} are out of bounds for storage of size "
                f"{storage.size * a.itemsize}")
        return _strided(storage.reshape(-1)[self.offset:], self.size, self.stride)

    def backward(self, grad_output):
        grad = np.zeros(self.storage_size, dtype=grad_output.dtype)
        positions = np.arange(self.storage_size + 1)  # + 1: a view at the end of an empty result
        np.add.at(grad, _strided(positions[self.offset:], self.size, self.stride), grad_output)
        if self.input_positions is not None:
            grad = grad[self.input_positions]
        return (grad.reshape(self.input_shape),) + (None,) * (len(self.needs_input_grad) - 1)


def storage_offset(base, view):
    """The flat position in ``base`` (C-contiguous, owning ``view``'s memory) of ``view``'s first
    element, from their addresses."""
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return start // view.itemsize


class IndexPutAccumulate(Op):
    """``index_put(indices, values, accumulate=True)``: a copy of ``a`` with ``values`` (broadcast
    to the indexed shape) added at ``a[indices]``, repeated positions adding every time
    (``np.add.at``). ``index`` is a template (see ``movement.IndexTensor``); the index tensors
    follow ``values`` as inputs and get no gradient. Gradients: ``grad_output`` for ``a``,
    ``grad_output[indices]`` for ``values``."""

    __slots__ = ("index",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("index",)
    array_arguments = ("index",)

    def __init__(self, index):
        self.index = index

    def forward(self, a, values, *index_arrays):
        index = resolve_index(self.index, index_arrays)
        self.saved = (index,)
        out = a.copy()
        np.add.at(out, index, np.broadcast_to(values, np.shape(out[index])).astype(out.dtype))
        return out

    def backward(self, grad_output):
        index = self.saved[0]
        needs_a, needs_values = self.needs_input_grad[:2]
        return ((grad_output if needs_a else None,
                 grad_output[index] if needs_values else None)
                + (None,) * (len(self.needs_input_grad) - 2))
