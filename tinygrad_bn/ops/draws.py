"""Ops that draw counts from distributions given by tensors: ``poisson`` and ``binomial``. Each
forward draws anew from its generator (the default one, looked up at that moment, unless one was
given), as the ops of ``ops.random`` do."""

import numpy as np

from ..autograd.graph import Op
from ..random import numpy_generator


class Poisson(Op):
    """Draws from Poisson(``rates``), in the rates' dtype. Gradient: zero, PyTorch's (a draw
    does not move with its rate)."""

    __slots__ = ("generator",)

    def __init__(self, generator=None):
        self.generator = generator

    def forward(self, rates):
        draws = numpy_generator(self.generator).poisson(rates.astype(np.float64))
        return np.asarray(draws).astype(rates.dtype)

    def backward(self, grad_output):
        return (np.zeros_like(grad_output),)

    def tensor_backward(self, grad_output):
        """Zeros again, a constant (``create_graph=True``)."""
        return (type(grad_output)._make(np.zeros_like(grad_output._array), None),)


class Binomial(Op):
    """Draws from Binomial(``count``, ``prob``) (shapes broadcast), in the promoted float dtype.
    PyTorch defines no gradient: backward raises its error."""

    __slots__ = ("generator",)

    def __init__(self, generator=None):
        self.generator = generator

    def forward(self, count, prob):
        dtype = np.result_type(count.dtype, prob.dtype)
        count, prob = np.broadcast_arrays(count, prob)
        draws = numpy_generator(self.generator).binomial(
            np.floor(count).astype(np.int64), np.clip(prob.astype(np.float64), 0, 1))
        return np.asarray(draws).astype(dtype)

    def backward(self, grad_output):
        raise RuntimeError("derivative for aten::binomial is not implemented")

    def tensor_backward(self, grad_output):
        raise RuntimeError("derivative for aten::binomial is not implemented")
