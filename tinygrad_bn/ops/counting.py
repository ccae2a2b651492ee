"""Ops that count or deduplicate values: ``unique``.

Their results are picked from the input, but which element represents a value is a tie-break,
not a function of the input's value, so they have no derivative. As in PyTorch, the result of a
tensor that requires grad is in the graph, and a backward pass through it raises.
"""

import numpy as np

from ..autograd.graph import Op


class Unique(Op):
    """The distinct values of the input, sorted ascending; along ``dim`` (an int), the distinct
    slices, sorted lexicographically. No gradient: backward raises PyTorch's message."""

    __slots__ = ("dim",)
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a):
        return np.unique(a, axis=self.dim)

    def backward(self, grad_output):
        raise RuntimeError("the derivative for 'unique' is not implemented.")

    def tensor_backward(self, grad_output):
        """PyTorch's error, with ``create_graph=True`` too."""
        return self.backward(grad_output._array)
