"""Pools defined by other pools: the power-average pools ``lp_pool1d/2d/3d`` (an average pool
of ``x ** p``, PyTorch's composite, differentiated through its parts) and ``max_unpool1d/2d/3d``
(the partial inverse of a max pool, the op ``MaxUnpool``), re-exported by ``nn.functional``,
and their modules ``LPPool1d/2d/3d`` and ``MaxUnpool1d/2d/3d``."""

from __future__ import annotations

import math

from .. import dtypes
from ..autocast_state import float32_op
from ..ops.pooling import MaxUnpool
from ..tensor import Tensor, where
from .module import Module
from .pooling import IntOrTuple, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from .pooling3d import avg_pool3d, max_pool3d


def _tuple(value, dims):
    """PyTorch's ``_single``/``_pair``/``_triple``: a sequence as a tuple, else ``value``
    repeated."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * dims


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, dims, scale):
    max_pool = (max_pool1d, max_pool2d, max_pool3d)[dims - 1]
    avg_pool = (avg_pool1d, avg_pool2d, avg_pool3d)[dims - 1]
    if isinstance(norm_type, (int, float)):
        if norm_type == math.inf:
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -math.inf:
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    # PyTorch's (sign(out) * relu(|out|)).mul(scale).pow(1 / p): sign(out) * relu(|out|) is
    # out itself, and its gradient is 1 but 0 where out is 0 (where pow's gradient is inf or
    # NaN: threshold_backward selects, it does not multiply). Here the zeros are kept out of
    # pow instead, and put back after it, so the same values come out and the gradient there
    # is 0 too (a multiply by inf would give NaN).
    if isinstance(scale, (list, tuple)):  # lp_pool1d's kernel_size given as a sequence
        raise TypeError(f"mul(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(scale).__name__}")
    exponent = 1.0 / norm_type
    zero = out == 0
    root = where(zero, 1.0, out).mul(scale).pow(exponent)
    return where(zero, 0.0 if exponent > 0 else math.inf, root)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: IntOrTuple | None = None,
              ceil_mode: bool = False) -> Tensor:
    """The power-average pool, PyTorch's ``F.lp_pool1d``: ``(sum over the window of x ** p) **
    (1 / p)``, computed as PyTorch does, ``avg_pool1d(x ** p) * kernel_size``, its sign times
    its ``relu`` (which is ``out`` itself: a negative sum gives NaN for a fractional ``1 /
    p``), to the power ``1 / p``; a window summing to zero has gradient zero, as there.
    ``norm_type`` ``inf``: the max pool of ``|x|``; ``-inf``: the min. No padding."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, kernel_size)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: IntOrTuple,
              stride: IntOrTuple | None = None, ceil_mode: bool = False) -> Tensor:
    """The power-average pool over ``(N, C, H, W)`` or ``(C, H, W)``, PyTorch's
    ``F.lp_pool2d``: ``avg_pool2d(x ** p) * kH * kW``, then as ``lp_pool1d``."""
    kw, kh = _tuple(kernel_size, 2)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, kw * kh)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: IntOrTuple,
              stride: IntOrTuple | None = None, ceil_mode: bool = False) -> Tensor:
    """The power-average pool over ``(N, C, D, H, W)`` or ``(C, D, H, W)``, PyTorch's
    ``F.lp_pool3d``: ``avg_pool3d(x ** p) * kD * kH * kW``, then as ``lp_pool1d``."""
    kd, kw, kh = _tuple(kernel_size, 3)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, kd * kw * kh)


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """PyTorch's ``_unpool_output_size``: the default ``(in - 1) stride + kernel - 2 padding``
    per dim, or ``output_size`` (its last dims) checked to lie strictly within one stride of
    it; ValueErrors with PyTorch's messages."""
    dims = len(kernel_size)
    default = [(input.shape[-dims + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(dims)]
    if output_size is None:
        result = default
    else:
        if len(output_size) == dims + 2:
            output_size = output_size[2:]
        if len(output_size) != dims:
            raise ValueError(f"output_size should be a sequence containing {dims} or {dims + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(dims):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                                 f"{low} and {high})")
        result = output_size
    for d in range(dims):
        if result[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={result[d]}")
    return [int(size) for size in result]


def _max_unpool(input, indices, output_size, dims, stride=None):
    """PyTorch's ``max_unpool2d``/``max_unpool3d`` kernels' checks, in their order, then the
    op (on a batch of one for an unbatched input)."""
    name = f"max_unpooling{dims}d"
    if indices.dtype is not dtypes.int64:
        raise RuntimeError("elements in indices should be type int64" + (
            f" but got: {dtypes.scalar_type_name(indices.dtype)}" if dims == 2 else ""))
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Input to {name} should be a {dims + 1}d or {dims + 2}d Tensor, but "
                           f"got a tensor with {input.ndim} dimensions.")
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}")
    for dim in range(1, input.ndim):
        if input.shape[dim] == 0:
            raise RuntimeError(f"{name}_forward_out_cpu(): Expected input to have non-zero size "
                               f"for non-batch dimensions, but got {list(input.shape)} with "
                               f"dimension {dim} being empty.")
    if stride is not None and min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    if input.dtype not in (dtypes.float16, dtypes.float32, dtypes.float64):
        raise dtypes.not_implemented(f"max_unpool{dims}d", input.dtype)
    output_size = tuple(output_size)
    if input.ndim == dims + 2:
        return MaxUnpool.apply(input, indices, output_size=output_size)
    return MaxUnpool.apply(input.unsqueeze(0), indices.unsqueeze(0),
                           output_size=output_size).squeeze(0)


@float32_op
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple,
                 stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 output_size: list[int] | None = None) -> Tensor:
    """The partial inverse of ``max_pool1d``, PyTorch's ``F.max_unpool1d``: ``input`` ``(N, C,
    L)`` or ``(C, L)`` and the ``indices`` ``max_pool1d`` returned; result ``(N, C, L_out)``,
    zeros except each input value at its index, ``L_out = (L - 1) stride - 2 padding +
    kernel_size`` or ``output_size`` (within a stride of it). Run as the 2-D unpool on a
    width of 1, as PyTorch does."""
    kernel_size = _tuple(kernel_size, 1)
    stride = _tuple(stride, 1) if stride is not None else kernel_size
    padding = _tuple(padding, 1)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1], 2).squeeze(-1)


@float32_op
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple,
                 stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 output_size: list[int] | None = None) -> Tensor:
    """The partial inverse of ``max_pool2d``, PyTorch's ``F.max_unpool2d``: ``input`` ``(N, C,
    H, W)`` or ``(C, H, W)``, ``indices`` as ``max_pool2d`` returned them (flat ``h * W_out +
    w``); result zeros except each value at its index, of size ``(in - 1) stride - 2 padding +
    kernel`` per dim or ``output_size``. Where two values share an index the later one stays,
    as PyTorch's CPU kernel; the gradient of each value is the output gradient at its
    index."""
    kernel_size = _tuple(kernel_size, 2)
    stride = _tuple(stride, 2) if stride is not None else kernel_size
    padding = _tuple(padding, 2)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool(input, indices, size, 2)


@float32_op
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: IntOrTuple,
                 stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 output_size: list[int] | None = None) -> Tensor:
    """The partial inverse of ``max_pool3d``, PyTorch's ``F.max_unpool3d``: ``input`` ``(N, C,
    D, H, W)`` or ``(C, D, H, W)``; see ``max_unpool2d``."""
    kernel_size = _tuple(kernel_size, 3)
    stride = _tuple(stride, 3) if stride is not None else kernel_size
    padding = _tuple(padding, 3)
    size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    return _max_unpool(input, indices, size, 3, stride)


class _LPPoolNd(Module):
    """What the ``LPPool`` layers share (PyTorch's ``_LPPoolNd``): arguments kept as given."""

    _function = None

    def __init__(self, norm_type: float, kernel_size: IntOrTuple,
                 stride: IntOrTuple | None = None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input, float(self.norm_type), self.kernel_size, self.stride,
                                    self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """``F.lp_pool1d`` as a layer (PyTorch's ``nn.LPPool1d``)."""

    _function = staticmethod(lp_pool1d)


class LPPool2d(_LPPoolNd):
    """``F.lp_pool2d`` as a layer (PyTorch's ``nn.LPPool2d``)."""

    _function = staticmethod(lp_pool2d)


class LPPool3d(_LPPoolNd):
    """``F.lp_pool3d`` as a layer (PyTorch's ``nn.LPPool3d``)."""

    _function = staticmethod(lp_pool3d)


class _MaxUnpoolNd(Module):
    """What the ``MaxUnpool`` layers share (PyTorch's ``_MaxUnpoolNd``): ``kernel_size``,
    ``stride`` (default ``kernel_size``) and ``padding`` kept as tuples of the layer's dims;
    ``forward(input, indices, output_size=None)``."""

    _dims = 0
    _function = None

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0) -> None:
        super().__init__()
        dims = self._dims
        self.kernel_size = _tuple(kernel_size, dims)
        self.stride = _tuple(stride if stride is not None else kernel_size, dims)
        self.padding = _tuple(padding, dims)

    def forward(self, input: Tensor, indices: Tensor,
                output_size: list[int] | None = None) -> Tensor:
        return type(self)._function(input, indices, self.kernel_size, self.stride, self.padding,
                                    output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """``F.max_unpool1d`` as a layer (PyTorch's ``nn.MaxUnpool1d``)."""

    _dims = 1
    _function = staticmethod(max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """``F.max_unpool2d`` as a layer (PyTorch's ``nn.MaxUnpool2d``)."""

    _dims = 2
    _function = staticmethod(max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """``F.max_unpool3d`` as a layer (PyTorch's ``nn.MaxUnpool3d``)."""

    _dims = 3
    _function = staticmethod(max_unpool3d)
