"""In-place initialisers for parameters (``torch.nn.init``), drawing from the seeded generator."""

import math

import numpy as np

from ..autograd import no_grad


@no_grad()
def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill ``tensor`` with draws from U(a, b)."""
    return tensor.uniform_(a, b, generator=generator)


@no_grad()
def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill ``tensor`` with draws from N(mean, std**2)."""
    return tensor.normal_(mean, std, generator=generator)


@no_grad()
def constant_(tensor, val):
    return tensor.fill_(val)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def _fan_in(tensor):
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    return tensor.shape[1] * int(np.prod(tensor.shape[2:]))


def kaiming_uniform_(tensor, a=0.0, nonlinearity="leaky_relu", generator=None):
    """He initialisation: U(-bound, bound) with ``bound = gain * sqrt(3 / fan_in)``, ``gain =
    sqrt(2 / (1 + a**2))`` for leaky ReLU (``a`` its slope), ``sqrt(2)`` for ReLU."""
    gain = math.sqrt(2.0) if nonlinearity == "relu" else math.sqrt(2.0 / (1 + a * a))
    bound = gain * math.sqrt(3.0 / _fan_in(tensor))
    return uniform_(tensor, -bound, bound, generator)
