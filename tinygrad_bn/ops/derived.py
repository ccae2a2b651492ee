"""Results computed from tensors' values that carry no gradient: comparisons, masks, the index
of a maximum, the order a sort puts elements in.

They are ops like any other, so that what they depend on is on record: a jit capture sees a
comparison's inputs and replays the comparison on the next batch, where a mask computed in
Python and wrapped as a new tensor would be a frozen copy of the first batch's.
"""

import numpy as np

from ..autograd.graph import Op


class Derived(Op):
    """``function(*arrays, **keywords)`` on the inputs' arrays, e.g. ``np.greater`` of two
    tensors or ``np.argmax`` with ``keywords={"axis": 1}``. The result (usually bool or integer)
    is never part of the graph: gradients do not flow through it, as in PyTorch, where
    comparisons and indices have no ``grad_fn``. ``function`` must be a module-level function or
    a ufunc (a jit capture compares it by identity between calls) and may raise PyTorch's error
    for bad values (an index out of range), which a replay then raises too."""

    __slots__ = ("function", "keywords")
    differentiable = False

    def __init__(self, function, keywords=None):
        self.function, self.keywords = function, keywords or {}

    def forward(self, *arrays):
        return np.asarray(self.function(*arrays, **self.keywords))

    def backward(self, grad_output):
        raise RuntimeError(f"{self!r} has no gradient")

    def __repr__(self):
        name = getattr(self.function, "__name__", type(self.function).__name__)
        keywords = "".join(f", {k}={v!r}" for k, v in self.keywords.items())
        return f"Derived({name}{keywords})"
