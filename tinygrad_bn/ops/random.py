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
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py
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


class Bernoulli(Op):
    """Zeros and ones in ``probabilities``' dtype and shape, each a one when a uniform draw from
    the generator falls below its probability (or below the number ``p`` for every element,
    when given). Probabilities outside ``[0, 1]`` (or NaN) are refused when drawn.

    Gradient: zero, PyTorch's (a draw does not move with its probability); with a number ``p``
    PyTorch defines none, and backward raises its error."""

    __slots__ = ("p", "generator")
    arguments = ("p",)

    def __init__(self, p=None, generator=None):
        self.p, self.generator = p, generator

    def forward(self, probabilities):
        chances = probabilities if self.p is None else np.full(probabilities.shape, self.p)
        if np.any((chances < 0) | (chances > 1)) or np.any(np.isnan(chances)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        draws = numpy_generator(self.generator).random(probabilities.shape) < chances
        return draws.astype(probabilities.dtype)

    def backward(self, grad_output):
        if self.p is not None:
            raise RuntimeError("derivative for aten::bernoulli is not implemented")
        return (np.zeros_like(grad_output),)


class Normal(Op):
    """Draws from N(mean, std**2) elementwise, ``mean`` and ``std`` broadcast together, in
    ``dtype``; a negative ``std`` is refused when drawn.

    Gradient: zero for both, PyTorch's (its ``normal`` is not reparameterised: ``mean + std *
    noise`` written out is, and is the way to differentiate through a draw)."""

    __slots__ = ("dtype", "generator")
    arguments = ("dtype",)

    def __init__(self, dtype, generator=None):
        self.dtype, self.generator = str(np.dtype(dtype)), generator

    def forward(self, mean, std):
        if np.any(std < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        draws = numpy_generator(self.generator).normal(mean, std)
        return np.asarray(draws).astype(self.dtype, copy=False)

    def backward(self, grad_output):
        zeros = np.zeros_like(grad_output)
        return (zeros if self.needs_input_grad[0] else None,
                zeros if self.needs_input_grad[1] else None)
