"""Helpers shared by the distributions, as PyTorch's ``torch.distributions.utils``: broadcasting
parameters together, converting between probabilities and logits (clamped as PyTorch clamps
them), summing out event dimensions, the lazily computed parameter, and the random draws that
reparameterised samples start from."""

from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from ..autograd import enable_grad
from ..creation import _drawn, arange, tensor
from ..printing import Size
from ..tensor import Tensor, broadcast_tensors

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values):
    """The values broadcast together as tensors: numbers become tensors of the first tensor's
    dtype (the default dtype when all are numbers), then ``broadcast_tensors``."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        dtype = next((v.dtype for v in values if isinstance(v, Tensor)),
                     dtypes.get_default_dtype())
        values = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values]
    return broadcast_tensors(*values)


def finfo(dtype):
    """NumPy's ``finfo`` of a floating dtype (``eps``, ``tiny``, ``min``), what PyTorch reads from
    ``torch.finfo``."""
    return np.finfo(dtype)


def draw(method, draw_arguments, dtype):
    """A fresh tensor of draws from the default generator, ``numpy.<method>(*draw_arguments)``
    in ``dtype``, made by a ``RandomDraw`` op so that a jit replay draws anew."""
    return _drawn(method, draw_arguments, None, dtype, False)


def _standard_normal(shape, dtype, device=None):
    """Standard normal draws of ``shape`` (the noise of ``loc + scale * eps``)."""
    return draw("standard_normal", (tuple(shape),), dtype)


def _sum_rightmost(value, dim):
    """``value`` with its ``dim`` rightmost dimensions summed out."""
    if dim == 0:
        return value
    required_shape = tuple(value.shape[:-dim]) + (-1,)
    return value.reshape(required_shape).sum(-1)


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: ``sigmoid`` for a binary variable (log-odds), otherwise a
    softmax over the last dimension (unnormalised log-probabilities)."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def clamp_probs(probs):
    """``probs`` clamped into ``[eps, 1 - eps]`` (``eps`` of their dtype), away from 0 and 1."""
    eps = float(finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from clamped probabilities: ``log p - log1p(-p)`` for a binary variable, ``log p``
    otherwise."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ps_clamped.log() - (-ps_clamped).log1p()
    return ps_clamped.log()


class lazy_property:
    """A parameter computed from another on first use (``Categorical.probs`` from its logits),
    then stored on the instance so later reads are plain attribute reads. Computed with grad
    enabled, so it stays differentiable when first read inside ``no_grad``."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def tril_matrix_to_vec(mat, diag=0):
    """The lower-triangular entries (from diagonal ``diag`` down) of a ``D x D`` matrix, or of a
    batch of them, as vectors in row order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows = arange(n)
    tril_mask = rows < rows.view(-1, 1) + (diag + 1)
    return mat[..., tril_mask]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of ``tril_matrix_to_vec``: vectors of the lower-triangular entries (row
    order) back into ``D x D`` matrices, zeros above; D solves ``D**2 + (1 + 2 diag) D -
    |diag| (diag + 1) = 2 len(vec)``."""
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1]
                            + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = float(finfo(vec.dtype).eps)
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be "
                         "expressed as the lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    rows = arange(n)
    tril_mask = rows < rows.view(-1, 1) + (diag + 1)
    mat[..., tril_mask] = vec
    return mat


def as_size(shape):
    """``shape`` (a tuple, list or ``Size``) as a ``Size``."""
    return shape if isinstance(shape, Size) else Size(tuple(shape))



def _clamp_min_keeping_gradient(value, minimum):
    """``value`` raised to at least ``minimum`` with the gradient of ``value`` everywhere (what
    PyTorch gets from ``value.detach().clamp_(min=...)``), without an in-place write so that a
    jit can capture it: ``value + (clamp(value) - value).detach()``, exact since the correction
    is 0 where nothing is clamped and the sum of two tiny numbers otherwise."""
    return value + (value.clamp(min=minimum) - value).detach()
