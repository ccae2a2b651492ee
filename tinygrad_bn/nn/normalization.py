"""Normalization layers: ``BatchNorm1d/2d/3d`` (statistics over the batch), ``InstanceNorm1d/2d/3d``
(over each sample's channel) and ``LayerNorm``
(statistics over each sample's features, the alternative the article names for small batches
and sequence models), ``RMSNorm`` (LayerNorm without centring, as in LLaMA-style Transformers)
and ``GroupNorm`` (statistics over groups of channels, for small batches of images)."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import dtypes
from ..autograd import graph, no_grad
from ..device import DeviceLike, check_device
from ..dtypes import DTypeLike
from ..ops.cross_map_lrn import CrossMapLRN2d as CrossMapLRN
from ..shapes import ShapeLike
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter


class _NormBase(Module):
    """What batch and instance normalization share, as PyTorch's ``_NormBase``: ``num_features``
    channels, the optional affine ``weight`` (ones) and ``bias`` (zeros), the optional buffers
    ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` (an int64
    count), ``reset_running_stats`` and the repr."""

    _version = 2  # PyTorch's state_dict layout version for these layers (in _metadata)

    # A state dict without num_batches_tracked (as written before PyTorch 0.4.1) keeps the
    # module's own count, as PyTorch's BatchNorm loads it.
    _optional_state = ("num_batches_tracked",)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None, *,
                 bias: bool = True, fused: bool = True) -> None:
        super().__init__()
        check_device(device)
        self.fused = fused
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"{type(self).__name__}: num_features must be a positive int, got "
                             f"{num_features!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.use_bias = affine and bias
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.register_parameter(
            "weight", Parameter(np.ones(num_features, dtype=dtype)) if affine else None)
        self.register_parameter(
            "bias", Parameter(np.zeros(num_features, dtype=dtype)) if affine and bias else None)
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

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.use_bias}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """Batch normalization over an ``(N, C, *)`` input, PyTorch's semantics; the subclasses
    differ only in the input dims they accept (``_check_input_dim``).

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel ``C``, the statistics
    over ``N`` and every trailing dim; ``weight`` (gamma) starts at ones and ``bias`` (beta) at
    zeros. In training the batch's mean and biased variance normalise, and the buffers follow
    ``running = (1 - momentum) * running + momentum * batch`` with the **unbiased** batch
    variance for ``running_var`` (``momentum=None``: the cumulative average over
    ``num_batches_tracked``, an int64 count of training batches). In eval mode the running
    statistics normalise. ``track_running_stats=False`` keeps no buffers and always uses the
    batch's statistics; ``affine=False`` (or ``bias=False``) drops the learnable parameters.
    The forward pass is one fused node (``ops.BatchNorm``; inputs of more than three dims are
    seen as ``(N, C, L)``) with the closed-form backward; ``fused=False`` (not in PyTorch)
    builds it from primitive ops instead, the article's six steps, so a drawing shows how every
    input reaches every output through the shared batch statistics. Both give the same values
    and gradients.
    """

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        if input._array.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) expected {self.num_features} "
                f"channels in dim 1 of its input, got input of shape {tuple(input.shape)} with "
                f"{input.shape[1]}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            if input._array.size // input._array.shape[1] != 1:  # else batch_norm raises first
                # The array in place, as for the running statistics (no op saves a buffer, so
                # its version is never checked), as an effect that a jit replay repeats.
                graph.effect(_count_batch, self.num_batches_tracked)
            if self.momentum is None:  # cumulative moving average
                graph.untraceable(f"{type(self).__name__}(momentum=None) computes its momentum "
                                  "in Python from the batch count")
                momentum = 1.0 / max(int(self.num_batches_tracked._array), 1)
        use_running = not self.training and self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if self.track_running_stats else None,
            self.running_var if self.track_running_stats else None,
            self.weight, self.bias, training=not use_running, momentum=momentum, eps=self.eps,
            fused=self.fused,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization (``_BatchNorm``) of a ``(N, C)`` or ``(N, C, L)`` input."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input._array.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalization (``_BatchNorm``) of a ``(N, C, H, W)`` input: statistics per channel
    over ``N``, ``H`` and ``W``."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input._array.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalization (``_BatchNorm``) of a ``(N, C, D, H, W)`` input: statistics per
    channel over ``N``, ``D``, ``H`` and ``W``."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input._array.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input)")


class SyncBatchNorm(_BatchNorm):
    """Batch normalization whose statistics would be reduced over every process of a
    ``torch.distributed`` group (PyTorch's ``nn.SyncBatchNorm``). This framework has no process
    groups, so it behaves as PyTorch's does when ``torch.distributed`` is not initialised (on
    the CPU, in training and in eval mode alike): plain ``_BatchNorm`` over the local batch, of
    any ``(N, C, *)`` input. ``process_group`` is kept, unused. ``convert_sync_batchnorm``
    swaps every ``_BatchNorm`` of a model for one, sharing its parameters and buffers."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input._array.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def _check_non_zero_input_channels(self, input: Tensor) -> None:
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        self._check_non_zero_input_channels(input)
        return super().forward(input)

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """PyTorch's: every ``_BatchNorm`` in ``module`` (or ``module`` itself, then a new
        layer is returned) replaced by a ``SyncBatchNorm`` with its options, sharing its
        ``weight``, ``bias`` and running buffers and keeping its training mode."""
        module_output = module
        if isinstance(module, _BatchNorm):
            module_output = cls(module.num_features, module.eps, module.momentum, module.affine,
                                module.track_running_stats, process_group,
                                bias=module.bias is not None)
            if module.affine:
                with no_grad():
                    module_output.weight = module.weight
                    module_output.bias = module.bias
            module_output.running_mean = module.running_mean
            module_output.running_var = module.running_var
            module_output.num_batches_tracked = module.num_batches_tracked
            module_output.training = module.training
            if hasattr(module, "qconfig"):
                module_output.qconfig = module.qconfig
        for name, child in module.named_children():
            module_output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        del module
        return module_output


class _InstanceNorm(_NormBase):
    """Instance normalization (Ulyanov et al. 2016), PyTorch's: each sample's channel normalised
    over its own positions (biased variance), then ``weight`` and ``bias`` per channel when
    ``affine`` (off by default, as ``track_running_stats``). With ``track_running_stats`` the
    buffers follow the mean over the batch of the per-instance statistics in training, and
    normalise in eval mode. An input without its batch dim is one sample. ``num_features`` is
    only checked when ``affine`` (otherwise a warning, as PyTorch)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    _no_batch_dim = 0  # the input dims of an unbatched sample, set by each subclass

    def _check_input_dim(self, input: Tensor) -> None:
        dims = (self._no_batch_dim, self._no_batch_dim + 1)
        if input._array.ndim not in dims:
            raise ValueError(f"expected {dims[0]}D or {dims[1]}D input (got {input.ndim}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        feature_dim = input.ndim - self._no_batch_dim
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={feature_dim} to match num_features "
                    f"({self.num_features}), but got: {input.shape[feature_dim]}.")
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False", stacklevel=2)
        batched = input if feature_dim == 1 else input.unsqueeze(0)
        out = F.instance_norm(
            batched, self.running_mean, self.running_var, self.weight, self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0, self.eps)
        return out if feature_dim == 1 else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization (``_InstanceNorm``) of ``(N, C, L)`` or ``(C, L)``."""
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization (``_InstanceNorm``) of ``(N, C, H, W)`` or ``(C, H, W)``."""
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization (``_InstanceNorm``) of ``(N, C, D, H, W)`` or ``(C, D, H, W)``."""
    _no_batch_dim = 4


class LocalResponseNorm(Module):
    """Local response normalization across channels (Krizhevsky et al. 2012, AlexNet), PyTorch's:
    ``y = x / (k + alpha / size * sum of x**2 over the size channels around c) ** beta``, the
    window zero-padded at the edges. Input ``(N, C, *)``, at least 3-D."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


def _count_batch(num_batches_tracked):
    """One more training batch for ``num_batches_tracked`` (a 0-d int64 array), in place."""
    num_batches_tracked += 1


class CrossMapLRN2d(Module):
    """Torch7's cross-channel local response normalization of a 4-D ``(N, C, H, W)`` input
    (PyTorch's ``nn.CrossMapLRN2d``, with its own forward and backward:
    ``ops.cross_map_lrn.CrossMapLRN2d`` states the formula and PyTorch's quirks)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return CrossMapLRN.apply(input, size=self.size, alpha=self.alpha, beta=self.beta,
                                 k=self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


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
        self.register_parameter("weight", Parameter(np.ones(self.normalized_shape, dtype=dtype))
                                if elementwise_affine else None)
        self.register_parameter("bias", Parameter(np.zeros(self.normalized_shape, dtype=dtype))
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
        self.register_parameter("weight", Parameter(np.ones(self.normalized_shape, dtype=dtype))
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
        self.register_parameter(
            "weight", Parameter(np.ones(num_channels, dtype=dtype)) if affine else None)
        self.register_parameter(
            "bias", Parameter(np.zeros(num_channels, dtype=dtype)) if affine and bias else None)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
