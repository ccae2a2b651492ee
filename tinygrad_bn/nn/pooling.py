"""Pooling layers: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d`` and
``adaptive_max_pool1d/2d`` (re-exported by ``nn.functional``) and their modules, with
PyTorch's arguments, checks and messages. The 1-D forms run the 2-D ops on the input with a
height of 1, as PyTorch does (``unsqueeze(-2)``), after their own checks."""

from __future__ import annotations

from typing import Union

from .. import dtypes
from ..ops.derived import Derived
from ..ops.pooling import (
    AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, MaxPool, adaptive_max_pool_indices,
    max_pool_indices,
)
from ..tensor import Tensor
from .module import Module

IntOrTuple = Union[int, tuple[int, ...]]


def _list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _pair(values):
    return tuple(values) if len(values) == 2 else (values[0], values[0])


def _check_lengths(name, kernel_size, stride, padding, dilation=None):
    """PyTorch's ``max_pool2d``/``avg_pool2d`` length checks: each argument one int or two."""
    if len(kernel_size) not in (1, 2):
        raise RuntimeError(f"{name}: kernel_size must either be a single int, or a tuple of two "
                           "ints")
    if len(stride) not in (0, 1, 2):
        raise RuntimeError(f"{name}: stride must either be omitted, a single int, or a tuple of "
                           "two ints")
    if len(padding) not in (1, 2):
        raise RuntimeError(f"{name}: padding must either be a single int, or a tuple of two ints")
    if dilation is not None and len(dilation) not in (1, 2):
        raise RuntimeError(f"{name}: dilation must be either a single int, or a tuple of two ints")


def _output_sizes(spatial, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's ``pooling_output_shape`` for each dim (height first), with its checks."""
    sizes = []
    for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > int(((k - 1) * d + 1) / 2):  # C's division, toward zero (a negative kernel)
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
        span = size + 2 * p - d * (k - 1) - 1
        count = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (count - 1) * s >= size + p:
            count -= 1
        sizes.append(count)
    return sizes


def _check_shape(input, kernel, stride, padding, dilation, out):
    """PyTorch's ``pool2d_shape_check``."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} "
                           f"dilationW: {dw}")
    shape = input.shape
    if not ((input.ndim == 3 and 0 not in shape) or (input.ndim == 4 and 0 not in shape[1:])):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{list(shape)}")
    if kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    if out[0] < 1 or out[1] < 1:
        planes, height, width = shape[-3:]
        raise RuntimeError(f"Given input size: ({planes}x{height}x{width}). Calculated output "
                           f"size: ({planes}x{out[0]}x{out[1]}). Output size is too small")


def _batched(input, function, batched_ndim=4):
    """``function`` on ``input`` with a batch dim (added for an unbatched ``(C, H, W)`` input,
    or ``(C, D, H, W)`` with ``batched_ndim`` 5, and removed from the result, or from each
    result of a pair)."""
    if input.ndim == batched_ndim:
        return function(input)
    result = function(input.unsqueeze(0))
    if isinstance(result, tuple):
        return tuple(r.squeeze(0) for r in result)
    return result.squeeze(0)


def max_pool2d(input: Tensor, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """The maximum over ``kernel_size`` windows, PyTorch's ``F.max_pool2d``: input ``(N, C, H,
    W)`` or ``(C, H, W)``; output ``H_out = floor((H + 2 padding - dilation (kH - 1) - 1) /
    stride) + 1`` (``ceil_mode``: rounded up, if the last window starts inside the input or
    its left padding), the same for ``W``. ``stride`` defaults to ``kernel_size``; each
    argument is an int or a pair; ``padding`` (at most half the kernel) is never picked.
    ``return_indices=True`` also returns where each maximum is (flat ``h * W + w``, int64).
    The gradient goes to the first maximum of each window, as PyTorch's CPU kernel."""
    kernel, strides = _list(kernel_size), _list(stride) if stride is not None else []
    paddings, dilations = _list(padding), _list(dilation)
    _check_lengths("max_pool2d", kernel, strides, paddings, dilations)
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    kernel, paddings, dilations = _pair(kernel), _pair(paddings), _pair(dilations)
    strides = _pair(strides) if strides else kernel
    out = _output_sizes(input.shape[-2:], kernel, strides, paddings, dilations, ceil_mode)
    _check_shape(input, kernel, strides, paddings, dilations, out)
    if input.dtype is dtypes.bool:
        raise dtypes.not_implemented("max_pool2d", input.dtype)
    return _max_pool(input, kernel, strides, paddings, dilations, ceil_mode, return_indices, 4)


def _max_pool(input, kernel, stride, padding, dilation, ceil_mode, return_indices, batched_ndim):
    """``MaxPool`` (and ``max_pool_indices``) on checked arguments, for any number of dims."""
    arguments = {"kernel_size": kernel, "stride": stride, "padding": padding,
                 "dilation": dilation, "ceil_mode": bool(ceil_mode)}

    def pool(batch):
        values = MaxPool.apply(batch, **arguments)
        if not return_indices:
            return values
        return values, Derived.apply(batch, function=max_pool_indices, keywords=arguments)

    return _batched(input, pool, batched_ndim)


def max_pool1d(input: Tensor, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, dilation: IntOrTuple = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """``max_pool2d`` along the last dim of an ``(N, C, L)`` or ``(C, L)`` input (PyTorch's
    ``F.max_pool1d``), with its own checks and messages; floating inputs only unless
    ``return_indices`` (PyTorch's ``max_pool1d_impl`` has no integer kernel)."""
    kernel, strides = _list(kernel_size), _list(stride) if stride is not None else []
    paddings, dilations = _list(padding), _list(dilation)
    if return_indices:
        _check_1d("max_pool1d", input, (("kernel_size", kernel), ("stride", strides or kernel),
                                        ("padding", paddings), ("dilation", dilations)))
    else:
        _check_max_pool1d(input, kernel, strides, paddings, dilations, ceil_mode)
    result = max_pool2d(input.unsqueeze(-2), [1, kernel[0]], [1, strides[0]] if strides else
                        [1, kernel[0]], [0, paddings[0]], [1, dilations[0]], ceil_mode,
                        return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def _check_1d(name, input, arguments):
    """The checks PyTorch's 1-D pools make before running the 2-D one, in its order: 2 or 3
    dims, then one int in each of ``arguments`` (``(name, values)`` pairs)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for {name})")
    for argument, values in arguments:
        if len(values) != 1:
            raise RuntimeError(f"{name}() argument '{argument}' should contain one int (got "
                               f"{len(values)})")


def _check_max_pool1d(input, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's ``check_max_pool1d`` (the path without indices), in its order."""
    shape = input.shape
    if input.ndim not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(shape)}")
    for name, values, allowed in (("kernel_size", kernel, "an int, list of ints or"),
                                  ("stride", stride, "None, an int, list of ints, or"),
                                  ("padding", padding, "an int, list of ints, or"),
                                  ("dilation", dilation, "an int, list of ints or")):
        if len(values) != 1 and not (name == "stride" and not values):
            raise RuntimeError(f"max_pool1d() {name} must be {allowed} tuple of ints of size 1 "
                               f"but got size {len(values)}")
    k, s = kernel[0], stride[0] if stride else kernel[0]
    p, d = padding[0], dilation[0]
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    span = shape[-1] + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= shape[-1] + p:
        out -= 1
    if out < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    if not dtypes.is_floating(input.dtype):
        raise dtypes.not_implemented("max_pool1d_impl", input.dtype)


def avg_pool2d(input: Tensor, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """The average over ``kernel_size`` windows, PyTorch's ``F.avg_pool2d``: each window's sum
    divided by ``divisor_override`` if given, else by its number of elements inside the
    zero-padded input (``count_include_pad=True``) or inside the input. Input ``(N, C, H, W)``
    or ``(C, H, W)``; output sizes as ``max_pool2d`` with dilation 1; ``stride`` defaults to
    ``kernel_size``. Floating dtypes and int64 (the quotient rounded toward zero)."""
    kernel, strides = _list(kernel_size), _list(stride) if stride is not None else []
    paddings = _list(padding)
    _check_lengths("avg_pool2d", kernel, strides, paddings)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{input.ndim}, "
                         f"{input.ndim - 1}], but got -3)")
    kernel, paddings = _pair(kernel), _pair(paddings)
    strides = _pair(strides) if strides else kernel
    out = _output_sizes(input.shape[-2:], kernel, strides, paddings, (1, 1), ceil_mode)
    _check_shape(input, kernel, strides, paddings, (1, 1), out)
    if input.dtype not in (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int64):
        raise dtypes.not_implemented("avg_pool2d", input.dtype)
    arguments = {"kernel_size": kernel, "stride": strides, "padding": paddings,
                 "ceil_mode": bool(ceil_mode), "count_include_pad": bool(count_include_pad),
                 "divisor_override": divisor_override}
    return _batched(input, lambda batch: AvgPool.apply(batch, **arguments))


def avg_pool1d(input: Tensor, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
               padding: IntOrTuple = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """``avg_pool2d`` along the last dim of an ``(N, C, L)`` or ``(C, L)`` input (PyTorch's
    ``F.avg_pool1d``)."""
    kernel, strides = _list(kernel_size), _list(stride) if stride is not None else []
    paddings = _list(padding)
    _check_1d("avg_pool1d", input, (("kernel_size", kernel), ("stride", strides or kernel),
                                    ("padding", paddings)))
    result = avg_pool2d(input.unsqueeze(-2), [1, kernel[0]],
                        [1, strides[0]] if strides else [1, kernel[0]], [0, paddings[0]],
                        ceil_mode, count_include_pad)
    return result.squeeze(-2)


def adaptive_avg_pool2d(input: Tensor, output_size: IntOrTuple) -> Tensor:
    """Average pooling to ``output_size`` (an int, or a pair whose ``None`` keeps that input
    size), PyTorch's ``F.adaptive_avg_pool2d``: output element ``i`` along a dim of size ``L``
    averages input elements ``floor(i L / O)`` to ``ceil((i + 1) L / O)``. Input ``(N, C, H,
    W)`` or ``(C, H, W)``, floating."""
    return _adaptive_avg_pool2d(input, _adaptive_sizes(input, output_size))


def _adaptive_sizes(input, output_size, dims=2):
    """``output_size`` as a list, each ``None`` replaced by the input's size there (PyTorch's
    ``_list_with_default``, with its ValueError); an int is repeated ``dims`` times."""
    if not isinstance(output_size, (list, tuple)):
        return [output_size] * dims
    if input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    return [input.shape[-len(output_size) + i] if v is None else v
            for i, v in enumerate(output_size)] if output_size else []


def _adaptive_avg_pool2d(input, sizes):
    if len(sizes) != 2:
        raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
    if sizes[0] < 0 or sizes[1] < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or "
                           f"equal to 0 but received {{{sizes[0]}, {sizes[1]}}}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    for dim in (-2, -1):
        if input.shape[dim] == 0:
            raise RuntimeError(
                "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
                f"dimensions, but input has sizes {list(input.shape)} with dimension "
                f"{dim + input.ndim} being empty")
    if not dtypes.is_floating(input.dtype):
        raise dtypes.not_implemented("adaptive_avg_pool2d", input.dtype)
    output_size = (int(sizes[0]), int(sizes[1]))
    return _batched(input, lambda batch: AdaptiveAvgPool.apply(batch, output_size=output_size))


def adaptive_avg_pool1d(input: Tensor, output_size: IntOrTuple) -> Tensor:
    """``adaptive_avg_pool2d`` along the last dim of an ``(N, C, L)`` or ``(C, L)`` input
    (PyTorch's ``F.adaptive_avg_pool1d``)."""
    sizes = _list(output_size)
    _check_1d("adaptive_avg_pool1d", input, (("output_size", sizes),))
    return _adaptive_avg_pool2d(input.unsqueeze(-2), [1, sizes[0]]).squeeze(-2)


def adaptive_max_pool2d(input: Tensor, output_size: IntOrTuple,
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling to ``output_size`` (an int, or a pair whose ``None`` keeps that input size),
    PyTorch's ``F.adaptive_max_pool2d``: output element ``i`` along a dim of size ``L`` is the
    maximum of input elements ``floor(i L / O)`` to ``ceil((i + 1) L / O)``. Input ``(N, C, H,
    W)`` or ``(C, H, W)``, floating; ``return_indices`` also returns where each maximum is
    (flat ``h * W + w``, int64). Ties and NaN as ``max_pool2d``."""
    return _adaptive_max_pool2d(input, _adaptive_sizes(input, output_size), return_indices)


def _adaptive_max_pool2d(input, sizes, return_indices):
    shape, ndim = input.shape, input.ndim
    if ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(shape)}")
    _check_non_empty("adaptive_max_pool2d", shape)
    if len(sizes) != 2:
        raise RuntimeError("adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    out_shape = list(shape[:-2]) + [int(size) for size in sizes]
    for size in out_shape:
        if size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {size}: "
                               f"{out_shape}")
    if not dtypes.is_floating(input.dtype):
        raise dtypes.not_implemented("adaptive_max_pool2d", input.dtype)
    return _adaptive_max_pool(input, tuple(out_shape[-2:]), return_indices, 4)


def _adaptive_max_pool(input, output_size, return_indices, batched_ndim):
    """``AdaptiveMaxPool`` (and its indices) on checked arguments, for any number of dims."""

    def pool(batch):
        values = AdaptiveMaxPool.apply(batch, output_size=output_size)
        if not return_indices:
            return values
        return values, Derived.apply(batch, function=adaptive_max_pool_indices,
                                     keywords={"output_size": output_size})

    return _batched(input, pool, batched_ndim)


def _check_non_empty(name, shape):
    """PyTorch's adaptive max pools: every dim after the first must be non-empty."""
    for dim in range(1, len(shape)):
        if shape[dim] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shape)} with dimension "
                               f"{dim} being empty")


def adaptive_max_pool1d(input: Tensor, output_size: IntOrTuple,
                        return_indices: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """``adaptive_max_pool2d`` along the last dim of an ``(N, C, L)`` or ``(C, L)`` input
    (PyTorch's ``F.adaptive_max_pool1d``)."""
    sizes = _list(output_size)
    _check_1d("adaptive_max_pool1d", input, (("output_size", sizes),))
    _check_non_empty("adaptive_max_pool1d", input.shape)
    result = _adaptive_max_pool2d(input.unsqueeze(-2), [1, sizes[0]], return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


# --------------------------------------------------------------------------- modules


class _MaxPoolNd(Module):
    """What ``MaxPool1d/2d/3d`` share (PyTorch's ``_MaxPoolNd``): the arguments, kept as
    given with ``stride`` defaulting to ``kernel_size``, and the repr; ``forward`` calls the
    subclass's ``_function``."""

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0, dilation: IntOrTuple = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return type(self)._function(input, self.kernel_size, self.stride, self.padding,
                                    self.dilation, ceil_mode=self.ceil_mode,
                                    return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """``F.max_pool2d`` as a layer (PyTorch's ``nn.MaxPool2d``): arguments kept as given,
    ``stride`` defaulting to ``kernel_size``."""

    _function = staticmethod(max_pool2d)


class MaxPool1d(_MaxPoolNd):
    """``F.max_pool1d`` as a layer (PyTorch's ``nn.MaxPool1d``)."""

    _function = staticmethod(max_pool1d)


class _AvgPoolNd(Module):
    """What the average pools share (PyTorch's ``_AvgPoolNd``): the repr."""

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _avg_pool_layer_init(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                         padding: IntOrTuple = 0, ceil_mode: bool = False,
                         count_include_pad: bool = True,
                         divisor_override: int | None = None) -> None:
    """The constructor of ``AvgPool2d`` and ``AvgPool3d`` (one body for both): arguments kept
    as given, ``stride`` defaulting to ``kernel_size``."""
    Module.__init__(self)
    self.kernel_size = kernel_size
    self.stride = stride if (stride is not None) else kernel_size
    self.padding, self.ceil_mode = padding, ceil_mode
    self.count_include_pad, self.divisor_override = count_include_pad, divisor_override


def _avg_pool_layer_forward(self, input: Tensor) -> Tensor:
    """The layer's ``_function`` (``F.avg_pool2d``/``3d``) of ``input`` with its arguments."""
    return type(self)._function(input, self.kernel_size, self.stride, self.padding,
                                self.ceil_mode, self.count_include_pad, self.divisor_override)


class AvgPool2d(_AvgPoolNd):
    """``F.avg_pool2d`` as a layer (PyTorch's ``nn.AvgPool2d``): ``stride`` defaults to
    ``kernel_size``."""

    _function = staticmethod(avg_pool2d)
    __init__, forward = _avg_pool_layer_init, _avg_pool_layer_forward


class AvgPool1d(_AvgPoolNd):
    """``F.avg_pool1d`` as a layer (PyTorch's ``nn.AvgPool1d``): sizes kept as 1-tuples."""

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 padding: IntOrTuple = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)


def _single(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


class _AdaptiveAvgPoolNd(Module):
    """What the adaptive average pools share (PyTorch's ``_AdaptiveAvgPoolNd``): the
    ``output_size`` and the repr; ``forward`` calls the subclass's ``_function``."""

    def __init__(self, output_size: IntOrTuple) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._function(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """``F.adaptive_avg_pool2d`` as a layer (PyTorch's ``nn.AdaptiveAvgPool2d``)."""

    _function = staticmethod(adaptive_avg_pool2d)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """``F.adaptive_avg_pool1d`` as a layer (PyTorch's ``nn.AdaptiveAvgPool1d``)."""

    _function = staticmethod(adaptive_avg_pool1d)


class _AdaptiveMaxPoolNd(Module):
    """What the adaptive max pools share (PyTorch's ``_AdaptiveMaxPoolNd``): ``output_size``,
    ``return_indices`` and the repr; ``forward`` calls the subclass's ``_function``."""

    def __init__(self, output_size: IntOrTuple, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return type(self)._function(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """``F.adaptive_max_pool2d`` as a layer (PyTorch's ``nn.AdaptiveMaxPool2d``)."""

    _function = staticmethod(adaptive_max_pool2d)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """``F.adaptive_max_pool1d`` as a layer (PyTorch's ``nn.AdaptiveMaxPool1d``)."""

    _function = staticmethod(adaptive_max_pool1d)
