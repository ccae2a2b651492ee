"""Constant padding as one op: the input copied into a larger array filled with a value.
``nn.functional.pad`` uses it for mode "constant" (the zero padding around convolutions),
where the same from primitive ops (a ``cat`` of filled blocks on each side of each dim) would
allocate every intermediate size and route the gradient through each ``cat``."""

import numpy as np

from ..autograd.graph import Op


class ConstantPad(Op):
    """``a`` inside an array of ``value`` (cast to ``a``'s dtype, as PyTorch's ``full``), with
    ``widths[d] = (before, after)`` elements added on each side of dim ``d`` (non-negative:
    ``functional.pad`` crops negative widths first, by slicing). Gradient: ``grad_output`` at
    the input's position, a view of it."""

    __slots__ = ("widths", "value", "inner")
    arguments = ("widths", "value")

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, a):
        shape = tuple(size + before + after for size, (before, after) in zip(a.shape, self.widths))
        self.inner = tuple(slice(before, before + size)
                           for size, (before, _) in zip(a.shape, self.widths))
        out = np.full(shape, self.value, dtype=a.dtype)
        out[self.inner] = a
        return out

    def backward(self, grad_output):
        return (grad_output[self.inner],)

    def tensor_backward(self, grad_output):
        return (grad_output[self.inner],)
