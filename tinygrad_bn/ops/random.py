"""Ops that draw random numbers. Each forward draws anew from its generator (the default one,
looked up at that moment, unless one was given), so that a jit replay draws exactly what eager
mode would have drawn at the same point: the same generator, in the same order.
"""

import numpy as np

from ..autograd.graph import Op
from ..random import numpy_generator


class RandomDraw(Op):
    """A new array of random numbers, ``generator.<method>(*arguments)`` cast to ``dtype``
    (``randn``: ``standard_normal(shape)``, ``randint``: ``integers(low, high, shape)``...).
    It has no inputs and no gradient; ``generator`` is a ``tinygrad_bn.Generator`` or None for
    the default one."""

    __slots__ = ("method", "draw_arguments", "generator", "dtype")
    arguments = ("method",)
    differentiable = False

    def __init__(self, method, draw_arguments, dtype, generator=None):
        self.method, self.draw_arguments = method, draw_arguments
        self.dtype, self.generator = dtype, generator

    def forward(self):
        draws = getattr(numpy_generator(self.generator), self.method)(*self.draw_arguments)
        return np.asarray(draws).astype(self.dtype, copy=False)


class Dropout(Op):
    """Inverted dropout: ``x * keep / (1 - p)``, each element kept (``keep = 1``) when a uniform
    draw from the generator is at least ``p``, so the expected value is unchanged (all zeros for
    ``p = 1``). Gradient: ``grad_output`` times the same mask."""

    __slots__ = ("p", "generator")
    arguments = ("p",)

    def __init__(self, p, generator=None):
        self.p, self.generator = p, generator

    def forward(self, x):
        keep = numpy_generator(self.generator).random(x.shape) >= self.p
        scale = 0.0 if self.p == 1 else 1 / (1 - self.p)
        mask = (keep * scale).astype(x.dtype)
        self.saved = (mask,)
        return x * mask

    def backward(self, grad_output):
        (mask,) = self.saved
        return (grad_output * mask,)
