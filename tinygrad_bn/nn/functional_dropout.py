"""Dropout beyond ``dropout``: whole channels (``dropout1d/2d/3d``, PyTorch's "feature
dropout", for convolutional feature maps whose neighbouring positions are correlated) and the
self-normalising ``alpha_dropout``/``feature_alpha_dropout`` (for SELU networks). Each draws
its keep mask with a ``RandomDraw`` op, so a jit replay draws anew from the same generator."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..creation import rand
from ..random import Generator
from ..tensor import Tensor

# SELU's negative saturation -scale * alpha, the value a dropped unit takes in alpha dropout
_ALPHA = 1.7580993408473766


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noisy(input, p, training, feature, alpha, generator):
    """PyTorch's ``_dropout_impl``: the input itself when not training, ``p == 0`` or empty;
    zeros for ``p == 1``; else ``input * noise`` with ``noise`` = keep / (1 - p), or for alpha
    dropout ``input * keep * a + (keep - 1) * alpha * a + alpha * a * p``. ``keep`` is one
    Bernoulli(1 - p) draw per element, or per ``(sample, channel)`` for ``feature``."""
    _check_p(p)
    if p == 0 or not training or input._array.size == 0:
        return input
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p == 1:
        return input * Tensor(np.zeros((), dtype=input._array.dtype))
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if feature else tuple(input.shape)
    keep = (rand(shape, generator=generator, dtype="float64") >= p).to(input.dtype)
    if not alpha:
        return input * (keep / (1 - p))
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    shift = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
    return input * (keep * a) + shift


def _in_place(input, result, inplace):
    if not inplace or result is input:
        return result
    return input.copy_(result)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: Generator | None = None) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` (or ``(C, L)``), each with probability ``p``, and
    scale the rest by ``1 / (1 - p)``, PyTorch's ``dropout1d``."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    batched = input if input.ndim == 3 else input.unsqueeze(0)
    out = _noisy(batched, p, training, True, False, generator)
    return _in_place(input, out if input.ndim == 3 else out.squeeze(0), inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: Generator | None = None) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)``, each with probability ``p``, and scale the rest
    by ``1 / (1 - p)``, PyTorch's ``dropout2d``: a 3-D input is read as ``(N, C, L)`` (with
    PyTorch's warning), other dims are deprecated (a warning) and dropped per ``(dim 0, dim 1)``."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _in_place(input, _noisy(input, p, training, True, False, generator), inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: Generator | None = None) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``), each with probability
    ``p``, and scale the rest by ``1 / (1 - p)``, PyTorch's ``dropout3d`` (other dims: its
    deprecation warning)."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    batched = input if input.ndim == 5 else input.unsqueeze(0)
    out = _noisy(batched, p, training, True, False, generator)
    return _in_place(input, out if input.ndim == 5 else out.squeeze(0), inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False,
                  generator: Generator | None = None) -> Tensor:
    """Alpha dropout (Klambauer et al. 2017, for SELU networks), PyTorch's: a dropped element
    becomes SELU's saturation value, then an affine map ``a * x + b`` keeps zero mean and unit
    variance. Note PyTorch's default ``training=False``."""
    return _in_place(input, _noisy(input, p, training, False, True, generator), inplace)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False, generator: Generator | None = None) -> Tensor:
    """``alpha_dropout`` of whole channels (dims 0 and 1 draw, the rest share), PyTorch's."""
    return _in_place(input, _noisy(input, p, training, True, True, generator), inplace)
