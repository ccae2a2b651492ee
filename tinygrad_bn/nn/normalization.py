"""Normalization layers: ``BatchNorm1d`` (statistics over the batch) and ``LayerNorm``
(statistics over each sample's features, the alternative the article names for small batches
and sequence models), ``RMSNorm`` (LayerNorm without centring, as in LLaMA-style Transformers)
and ``GroupNorm`` (statistics over groups of channels, for small batches of images)."""

from __future__ import annotations

import numbers

import numpy as np

from .. import dtypes
from ..autograd import graph, no_grad
from ..device import DeviceLike, check_device
from ..dtypes import DTypeLike
from ..shapes import ShapeLike
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter


class BatchNorm1d(Module):
    """Batch normalization over a ``(N, C)`` or ``(N, C, L)`` input, PyTorch's semantics.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel ``C``; ``weight`` (gamma)
    starts at ones and ``bias`` (beta) at zeros. In training the batch's mean and biased
    variance normalise, and the buffers follow
    ``running = (1 - momentum) * running + momentum * batch`` with the **unbiased** batch
    variance for ``running_var`` (``momentum=None``: the cumulative average over
    ``num_batches_tracked``, an int64 count of training batches). In eval mode the running
    statistics normalise. ``track_running_stats=False`` keeps no buffers and always uses the
    batch's statistics; ``affine=False`` (or ``bias=False``) drops the learnable parameters.
    The forward pass is one fused node (``ops.BatchNorm``) with the closed-form backward;
    ``fused=False`` (not in PyTorch) builds it from primitive ops instead, the article's six
    steps, so a drawing shows how every input reaches every output through the shared batch
    statistics. Both give the same values and gradients.
    """

    # A state dict without num_batches_tracked (as written before PyTorch 0.4.1) keeps the
    # module's own count, as PyTorch's BatchNorm loads it.
    _optional_state = ("num_batches_tracked",)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None, *,
                 bias: bool = True, fused: bool = True) -> None:
        super().__init__()
        check_device(device)
        self.fused = fused
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(
                f"BatchNorm1d: num_features must be a positive int, got {num_features!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.use_bias = affine and bias
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Set ``running_mean`` to 0, ``running_var`` to 1 and ``num_batches_tracked`` to 0, in
        place (nothing without ``track_running_stats``); the affine ``weight`` and ``bias`` are
        left as they are."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def forward(self, input: Tensor) -> Tensor:
        if input._array.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
        if input._array.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) expected {self.num_features} channels in dim 1 "
                f"of its input, got input of shape {tuple(input.shape)} with {input.shape[1]}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            if input._array.size // input._array.shape[1] != 1:  # else batch_norm raises first
                # The array in place, as for the running statistics (no op saves a buffer, so
                # its version is never checked), as an effect that a jit replay repeats.
                graph.effect(_count_batch, self.num_batches_tracked)
            if self.momentum is None:  # cumulative moving average
                graph.untraceable("BatchNorm1d(momentum=None) computes its momentum in Python "
                                  "from the batch count")
                momentum = 1.0 / max(int(self.num_batches_tracked._array), 1)
        use_running = not self.training and self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if self.track_running_stats else None,
            self.running_var if self.track_running_stats else None,
            self.weight, self.bias, training=not use_running, momentum=momentum, eps=self.eps,
            fused=self.fused,
        )

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.use_bias}, "
                f"track_running_stats={self.track_running_stats}")


def _count_batch(num_batches_tracked):
    """One more training batch for ``num_batches_tracked`` (a 0-d int64 array), in place."""
    num_batches_tracked += 1


class LayerNorm(Module):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` with the statistics taken over the
    last ``len(normalized_shape)`` dims of each sample (biased variance), independent of the
    batch; identical in training and eval. One fused node (``ops.LayerNorm``)."""

    def __init__(self, normalized_shape: ShapeLike, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        check_device(device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine, self.use_bias = eps, elementwise_affine, bias
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.weight = (Parameter(np.ones(self.normalized_shape, dtype=dtype))
                       if elementwise_affine else None)
        self.bias = (Parameter(np.zeros(self.normalized_shape, dtype=dtype))
                     if elementwise_affine and bias else None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.use_bias}")


class RMSNorm(Module):
    """``y = x / sqrt(mean(x**2) + eps) * weight`` over the last ``len(normalized_shape)`` dims
    (no centring, no bias; Zhang and Sennrich 2019), PyTorch's: ``eps`` None is the machine
    epsilon of the computing dtype; ``weight`` starts at ones (none without
    ``elementwise_affine``). Identical in training and eval."""

    def __init__(self, normalized_shape: ShapeLike, eps: float | None = None,
                 elementwise_affine: bool = True, device: DeviceLike | None = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        check_device(device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.weight = (Parameter(np.ones(self.normalized_shape, dtype=dtype))
                       if elementwise_affine else None)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Group normalization (Wu and He 2018) of ``(N, C, *)`` inputs, PyTorch's: the ``C``
    channels in ``num_groups`` groups, each normalised per sample over its channels and positions
    (biased variance, ``eps`` inside the square root), then ``weight`` (ones) and ``bias``
    (zeros), ``(C,)`` each, per channel; ``affine=False`` drops both, ``bias=False`` the bias.
    Independent of the batch, identical in training and eval."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device: DeviceLike | None = None,
                 dtype: DTypeLike | None = None, *, bias: bool = True) -> None:
        super().__init__()
        check_device(device)
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups, num_channels, eps, affine)
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.weight = Parameter(np.ones(num_channels, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, dtype=dtype)) if affine and bias else None

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
