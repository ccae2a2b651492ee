"""Norms and distances between vectors, for contrastive and metric learning: ``normalize``,
``cosine_similarity`` and ``pairwise_distance``, with PyTorch 2.13's formulas (its eps
handling included), built from existing ops. ``nn.functional`` exports them."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..linalg import vector_norm
from ..ops import Derived
from ..shapes import broadcast_error
from ..tensor import Tensor
from ..tensor.out_argument import CAST, with_out

_divide = with_out(Tensor.div, dtype=CAST)  # torch.div(..., out=), which normalize calls


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """``input / max(||input||_p, eps)``, the ``p``-norm taken over ``dim`` for each vector
    (PyTorch's ``input.norm(p, dim, keepdim=True).clamp_min(eps)``, so a zero vector stays zero
    and its gradient is ``1 / eps`` times the incoming one, as PyTorch's). Same shape as
    ``input``; floating tensors only. ``out``, when given, receives the result."""
    denominator = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denominator
    return _divide(input, denominator, out=out)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` over ``dim``: the cosine of the
    angle between the vectors along ``dim``, after ``x1`` and ``x2`` broadcast together; the
    result drops ``dim``.

    PyTorch 2.13's formula: each vector is divided by its own clamped 2-norm before the product
    (which keeps the result in [-1, 1]; before 1.12, PyTorch divided the product by
    ``max(||x1|| * ||x2||, eps)``), and the clamp is applied outside autograd, so the gradient
    flows through the norm as if unclamped (for a zero vector: ``x2 / (eps * ||x2||)`` to
    ``x1``, as PyTorch's). Integer inputs are converted to the common dtype, which must be
    floating."""
    common = dtypes.result_type(x1._array, x2._array)
    if not dtypes.is_floating(common):
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{dtypes.scalar_type_name(common)}")
    x1, x2 = x1.to(common), x2.to(common)
    if x1._array.shape != x2._array.shape:
        try:
            shape = np.broadcast_shapes(x1._array.shape, x2._array.shape)
        except ValueError:
            raise RuntimeError(broadcast_error(x1._array.shape, x2._array.shape,
                                               name_shapes=False)) from None
        x1, x2 = x1.expand(*shape), x2.expand(*shape)
    x1_norm = _clamped_outside_autograd(vector_norm(x1, 2, dim=dim, keepdim=True), eps)
    x2_norm = _clamped_outside_autograd(vector_norm(x2, 2, dim=dim, keepdim=True), eps)
    return ((x1 / x1_norm) * (x2 / x2_norm)).sum(dim)


def _clamped_outside_autograd(norm, eps):
    """``max(norm, eps)`` whose gradient is that of ``norm`` itself: PyTorch clamps the norm in
    place under ``no_grad``. The clamp's increase is added as a value without gradient (an op,
    so a jit replay recomputes it); it is 0 wherever the norm is at least ``eps``."""
    return norm + Derived.apply(norm.detach(), function=_increase_to, keywords={"floor": eps})


def _increase_to(array, floor):
    """What ``array`` needs added to reach at least ``floor``: 0 where it already does."""
    return np.maximum(array, floor) - array


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim (of the larger of the two ranks), PyTorch's
    formula: ``eps`` is added to the difference (so two equal vectors are ``eps * D**(1/p)``
    apart and the norm's gradient is defined), not to the norm. ``(N, D)`` and ``(N, D)`` or
    ``(D,)`` give ``(N,)`` (``(N, 1)`` with ``keepdim``). Integer inputs give the default
    float dtype, as ``eps`` makes them."""
    innermost = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, innermost if innermost >= 0 else -1, keepdim)
