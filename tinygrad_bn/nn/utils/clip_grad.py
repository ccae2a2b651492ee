"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` (``get_total_norm`` then
``clip_grads_with_norm_``) and ``clip_grad_value_``."""

import math
import warnings

import numpy as np

from ...autograd.graph import replayable
from ...tensor import Tensor


def _with_grads(parameters):
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p for p in parameters if p.grad is not None]


@replayable  # a jit replay calls it again, on the gradients of that call
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale all gradients together so that their joint ``norm_type``-norm (the norm of the
    per-parameter norms) is at most ``max_norm``: each is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``. Returns the total norm before clipping, as a
    0-d tensor. (``get_total_norm`` of the gradients, then ``clip_grads_with_norm_``, as in
    PyTorch.)"""
    params = _with_grads(parameters)
    total = get_total_norm([p.grad for p in params], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


@replayable
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of the per-tensor norms of ``tensors`` (a tensor or an iterable
    of them, usually gradients), as a 0-d tensor of their dtype (0 for none). With
    ``error_if_nonfinite`` a nan or infinite total raises PyTorch's error."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if not tensors:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = max(np.abs(t._array).max() for t in tensors)
    else:
        norms = [np.linalg.norm(t._array.ravel(), norm_type) for t in tensors]
        total = np.linalg.norm(np.asarray(norms), norm_type)
    total = np.asarray(total, dtype=tensors[0]._array.dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor._make(total, None)


@replayable
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Multiply every gradient of ``parameters`` by ``min(1, max_norm / (total_norm + 1e-6))``
    in place, ``total_norm`` given (``get_total_norm``'s, perhaps of more parameters)."""
    params = _with_grads(parameters)
    if not params:
        return
    total = total_norm._array if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    dtype = total.dtype
    coefficient = np.minimum(np.asarray(max_norm, dtype=dtype) / (total + dtype.type(1e-6)), 1.0)
    # An infinite norm makes the coefficient 0 and inf * 0 = nan, as in PyTorch, which computes
    # it without a warning: NumPy's "invalid value" is silenced here, not by a warnings filter.
    with np.errstate(invalid="ignore", over="ignore"):
        for p in params:
            p.grad._array *= coefficient.astype(p.grad._array.dtype)
            p.grad._bump_version()


@replayable
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]`` in place."""
    for p in _with_grads(parameters):
        np.clip(p.grad._array, -clip_value, clip_value, out=p.grad._array)
        p.grad._bump_version()


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """PyTorch's deprecated name for ``clip_grad_norm_`` (which it calls), warning first."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)
