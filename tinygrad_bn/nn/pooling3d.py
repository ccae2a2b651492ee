"""3-D pooling: ``max_pool3d``, ``avg_pool3d``, ``adaptive_avg_pool3d`` and
``adaptive_max_pool3d`` (re-exported by ``nn.functional``) and their modules. The ops are the
2-D pools' own (``ops.pooling`` works on any number of spatial dims); what is 3-D here is
PyTorch's checks and messages (``pool3d_shape_check``), which differ from the 2-D ones in
wording and order."""

from __future__ import annotations

from ..autocast_state import float32_op
from .. import dtypes
from ..ops.pooling import AdaptiveAvgPool, AvgPool
from ..tensor import Tensor
from .pooling import (
    IntOrTuple, _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _MaxPoolNd, _adaptive_max_pool,
    _avg_pool_layer_forward, _avg_pool_layer_init,
    _adaptive_sizes, _batched, _check_non_empty, _list, _max_pool, _output_sizes,
)


def _triple(values):
    return tuple(values) if len(values) == 3 else (values[0],) * 3


def _check_lengths(name, kernel, stride, padding, dilation=None):
    """PyTorch's length checks of ``max_pool3d``/``avg_pool3d``: one int or three (the two
    word them differently: max pooling's "must either be", average pooling's "must be")."""
    either = " either" if name == "max_pool3d" else ""
    if len(kernel) not in (1, 3):
        raise RuntimeError(f"{name}: kernel_size must{either} be a single int, or a tuple of "
                           "three ints")
    if len(stride) not in (0, 1, 3):
        raise RuntimeError(f"{name}: stride must{either} be omitted, a single int, or a tuple of "
                           "three ints")
    if len(padding) not in (1, 3):
        raise RuntimeError(f"{name}: padding must{either} be a single int, or a tuple of three "
                           "ints")
    if dilation is not None and len(dilation) not in (1, 3):
        raise RuntimeError(f"{name}: dilation must be either a single int, or a tuple of three "
                           "ints")


def _check_shape(input, kernel, stride, padding, dilation, out, function, check_input_size):
    """PyTorch's ``pool3d_shape_check``, in its order; ``check_input_size`` (average pooling)
    also wants the input at least as large as the kernel, padding aside."""
    (kt, kh, kw), (st, sh, sw), (pt, ph, pw), (dt, dh, dw) = kernel, stride, padding, dilation
    if kt <= 0 or kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {kt} kH: {kh} "
                           f"kW: {kw}")
    if st <= 0 or sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dT: {st} dH: {sh} "
                           f"dW: {sw}")
    if dt <= 0 or dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {dt} "
                           f"dilationH: {dh} dilationW: {dw}")
    shape = input.shape
    for dim in range(input.ndim):
        if shape[dim] == 0 and not (input.ndim == 5 and dim == 0):
            raise RuntimeError(f"{function}: Expected input's non-batch dimensions to have "
                               f"positive length, but input has a shape of {list(shape)} and "
                               f"non-batch dimension 0 has length zero!")
    time, height, width = shape[-3:]
    if check_input_size and (time < kt or height < kh or width < kw):
        raise RuntimeError(f"input image (T: {time} H: {height} W: {width}) smaller than kernel "
                           f"size (kT: {kt} kH: {kh} kW: {kw})")
    if kt // 2 < pt or kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"kT: {kt} kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}")
    if min(out) < 1:
        planes = shape[-4]
        raise RuntimeError(f"Given input size: ({planes}x{time}x{height}x{width}). Calculated "
                           f"output size: ({planes}x{out[0]}x{out[1]}x{out[2]}). Output size is "
                           "too small")


def _check_ndim(input):
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")


@float32_op
def max_pool3d(input: Tensor, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """The maximum over ``kernel_size`` windows, PyTorch's ``F.max_pool3d``: input ``(N, C, D,
    H, W)`` or ``(C, D, H, W)``; output sizes, ``stride``, ``padding``, ``dilation``,
    ``ceil_mode`` and the choice among ties and NaN as ``max_pool2d`` (PyTorch's CPU kernel:
    the first maximum, the last NaN); ``return_indices=True`` also returns where each maximum
    is, flat ``(d * H + h) * W + w``, int64. Any dtype but bool."""
    kernel, strides = _list(kernel_size), _list(stride) if stride is not None else []
    paddings, dilations = _list(padding), _list(dilation)
    _check_lengths("max_pool3d", kernel, strides, paddings, dilations)
    _check_ndim(input)
    kernel, paddings, dilations = _triple(kernel), _triple(paddings), _triple(dilations)
    strides = _triple(strides) if strides else kernel
    out = _output_sizes(input.shape[-3:], kernel, strides, paddings, dilations, ceil_mode)
    _check_shape(input, kernel, strides, paddings, dilations, out,
                 "max_pool3d_with_indices_out_cpu_template()", False)
    if input.dtype is dtypes.bool:
        raise dtypes.not_implemented("max_pool3d", input.dtype)
    return _max_pool(input, kernel, strides, paddings, dilations, ceil_mode, return_indices, 5)


@float32_op
def avg_pool3d(input: Tensor, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The average over ``kernel_size`` windows, PyTorch's ``F.avg_pool3d``: input ``(N, C, D,
    H, W)`` or ``(C, D, H, W)``, each window's sum divided by ``divisor_override`` or by its
    number of elements inside the zero-padded input (``count_include_pad=True``) or inside
    the input (see ``avg_pool2d``). The input must be at least as large as the kernel in each
    dim, padding aside (PyTorch's 3-D check). float32, float64 and int64 (the quotient
    rounded toward zero); PyTorch's CPU kernel has no float16."""
    kernel, strides = _list(kernel_size), _list(stride) if stride is not None else []
    paddings = _list(padding)
    _check_lengths("avg_pool3d", kernel, strides, paddings)
    _check_ndim(input)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    kernel, paddings = _triple(kernel), _triple(paddings)
    strides = _triple(strides) if strides else kernel
    ones = (1, 1, 1)
    out = _output_sizes(input.shape[-3:], kernel, strides, paddings, ones, ceil_mode)
    _check_shape(input, kernel, strides, paddings, ones, out, "avg_pool3d()", True)
    if input.dtype not in (dtypes.float32, dtypes.float64, dtypes.int64):
        raise dtypes.not_implemented("avg_pool3d_out_frame", input.dtype)
    arguments = {"kernel_size": kernel, "stride": strides, "padding": paddings,
                 "ceil_mode": bool(ceil_mode), "count_include_pad": bool(count_include_pad),
                 "divisor_override": divisor_override}
    return _batched(input, lambda batch: AvgPool.apply(batch, **arguments), 5)


@float32_op
def adaptive_avg_pool3d(input: Tensor, output_size: IntOrTuple) -> Tensor:
    """Average pooling to ``output_size`` (an int, or a triple whose ``None`` keeps that input
    size), PyTorch's ``F.adaptive_avg_pool3d``: along each dim, output element ``i`` averages
    input elements ``floor(i L / O)`` to ``ceil((i + 1) L / O)``. Input ``(N, C, D, H, W)`` or
    ``(C, D, H, W)``, floating."""
    sizes = _adaptive_sizes(input, output_size, 3)
    if len(sizes) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    if min(sizes) < 0:
        # sic: PyTorch's message has no space before the third size
        raise RuntimeError("adaptive_avg_pool3d: elements of output_size must be greater than or "
                           f"equal to 0 but received {{{sizes[0]}, {sizes[1]},{sizes[2]}}}")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got "
                           f"{list(input.shape)}")
    _check_non_empty("adaptive_avg_pool3d", input.shape)
    if not dtypes.is_floating(input.dtype):
        raise dtypes.not_implemented("adaptive_avg_pool3d_cpu", input.dtype)
    output_size = tuple(int(size) for size in sizes)
    return _batched(input, lambda batch: AdaptiveAvgPool.apply(batch, output_size=output_size),
                    5)


@float32_op
def adaptive_max_pool3d(input: Tensor, output_size: IntOrTuple,
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling to ``output_size`` (an int, or a triple whose ``None`` keeps that input
    size), PyTorch's ``F.adaptive_max_pool3d``: along each dim, output element ``i`` is the
    maximum of input elements ``floor(i L / O)`` to ``ceil((i + 1) L / O)``. Input ``(N, C, D,
    H, W)`` or ``(C, D, H, W)``, floating; ``return_indices`` also returns where each maximum
    is (flat ``(d * H + h) * W + w``, int64). Ties and NaN as ``max_pool3d``."""
    sizes = _adaptive_sizes(input, output_size, 3)
    shape = input.shape
    if input.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: "
                           f"{list(shape)}")
    _check_non_empty("adaptive_max_pool3d", shape)
    if len(sizes) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    out_shape = list(shape[:-3]) + [int(size) for size in sizes]
    for size in out_shape:
        if size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {size}: "
                               f"{out_shape}")
    if not dtypes.is_floating(input.dtype):
        raise dtypes.not_implemented("adaptive_max_pool3d_cpu", input.dtype)
    return _adaptive_max_pool(input, tuple(out_shape[-3:]), return_indices, 5)


class MaxPool3d(_MaxPoolNd):
    """``F.max_pool3d`` as a layer (PyTorch's ``nn.MaxPool3d``): arguments kept as given,
    ``stride`` defaulting to ``kernel_size``."""

    _function = staticmethod(max_pool3d)


class AvgPool3d(_AvgPoolNd):
    """``F.avg_pool3d`` as a layer (PyTorch's ``nn.AvgPool3d``)."""

    _function = staticmethod(avg_pool3d)
    __init__, forward = _avg_pool_layer_init, _avg_pool_layer_forward


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """``F.adaptive_avg_pool3d`` as a layer (PyTorch's ``nn.AdaptiveAvgPool3d``)."""

    _function = staticmethod(adaptive_avg_pool3d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """``F.adaptive_max_pool3d`` as a layer (PyTorch's ``nn.AdaptiveMaxPool3d``)."""

    _function = staticmethod(adaptive_max_pool3d)
