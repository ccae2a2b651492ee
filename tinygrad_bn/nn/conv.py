"""Convolution layers: ``conv1d/2d/3d`` and ``conv_transpose1d/2d/3d`` (re-exported by
``nn.functional``) and their modules ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``, with
PyTorch's arguments, checks, messages and initialisation. They run the ops ``Convolution``
and ``ConvolutionTranspose``."""

from __future__ import annotations

import math
from typing import Union

import numpy as np

from .. import autocast_state, dtypes
from ..device import DeviceLike, check_device
from ..dtypes import DTypeLike
from ..autograd.graph import tensor_type_name
from ..ops.convolution import Convolution, ConvolutionTranspose
from ..printing import Size
from ..tensor import Tensor, qualified_type_name
from . import init
from .functional_padding import pad
from .module import Module, Parameter

IntOrTuple = Union[int, tuple[int, ...]]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrTuple = 1,
           padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation, PyTorch's ``F.conv1d``: ``input`` ``(N, C_in, L)`` or unbatched
    ``(C_in, L)``, ``weight`` ``(C_out, C_in / groups, K)``, ``bias`` ``(C_out,)``; result
    ``(N, C_out, floor((L + 2 padding - dilation (K - 1) - 1) / stride) + 1)``. ``padding`` is
    an int, a 1-tuple, ``'valid'`` (none) or ``'same'`` (the output as long as the input; stride
    1 only). See ``conv2d`` and ``ops.Convolution``."""
    return _convolution("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrTuple = 1,
           padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation, PyTorch's ``F.conv2d``::

        out[n, f, i, j] = bias[f] + sum_{c, a, b} input_padded[n, c, i sH + a dH, j sW + b dW]
                                                  * weight[f, c, a, b]

    ``input`` ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)`` (the result then has no batch
    dim either), ``weight`` ``(C_out, C_in / groups, kH, kW)``, ``bias`` ``(C_out,)`` or None.
    ``stride``, ``padding`` and ``dilation`` are an int or a pair (height, width); ``padding``
    may also be ``'valid'`` (0) or ``'same'`` (stride 1 only: ``dilation (k - 1)`` zeros per
    dim, the odd one after, as PyTorch). ``groups`` splits the channels into that many blocks,
    each convolved with its own filters (``groups == C_in``: depthwise). Output size per dim:
    ``floor((size + 2 padding - dilation (k - 1) - 1) / stride) + 1``. Arguments are checked in
    PyTorch's order with its messages; input, weight and bias must share one dtype (floating
    or integer, not bool)."""
    return _convolution("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrTuple = 1,
           padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation, PyTorch's ``F.conv3d``: ``input`` ``(N, C_in, D, H, W)`` or
    unbatched ``(C_in, D, H, W)``, ``weight`` ``(C_out, C_in / groups, kD, kH, kW)``, ``bias``
    ``(C_out,)``; ``stride``, ``padding`` and ``dilation`` an int or a triple. See ``conv2d``
    and ``ops.Convolution`` (the same op, three spatial dims)."""
    return _convolution("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _convolution(name, dims, input, weight, bias, stride, padding, dilation, groups):
    for position, (argument, value) in enumerate((("input", input), ("weight", weight)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be "
                            f"Tensor, not {qualified_type_name(value)}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{name}(): argument 'bias' (position 3) must be Tensor, not "
                        f"{qualified_type_name(bias)}")
    if autocast_state.casting:  # CPU autocast: PyTorch's lower-precision list
        input, weight, bias = autocast_state.lower_precision(input, weight, bias)
    for position, (argument, value) in enumerate(
            (("stride", stride), ("padding", padding), ("dilation", dilation)), 4):
        if argument == "padding" and isinstance(value, str):
            continue
        if not _ints(value):
            raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be "
                            f"tuple of ints, not {qualified_type_name(value)}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'groups' (position 7) must be int, not "
                        f"{qualified_type_name(groups)}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    # PyTorch's binding makes an int a list of the function's dims (conv2d's stride=1 is
    # [1, 1]); a list is expanded against the weight's dims later
    stride, dilation = ((v,) * dims if not isinstance(v, (list, tuple)) else v
                        for v in (stride, dilation))
    if not isinstance(padding, (str, list, tuple)):
        padding = (padding,) * dims
    unbatched = input.ndim == dims + 1
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        padding, stride, dilation = _string_padding(padding, input, weight, stride, dilation,
                                                    groups)
    stride, padding, dilation = _checked(input, weight, bias, stride, padding, dilation, groups)
    arguments = {"stride": stride, "padding": padding, "dilation": dilation,
                 "groups": int(groups)}
    if bias is None:
        out = Convolution.apply(input, weight, **arguments)
    else:
        out = Convolution.apply(input, weight, bias, **arguments)
    return out.squeeze(0) if unbatched else out


def _ints(value):
    """Whether ``value`` is an int or a tuple/list of ints (what PyTorch's ``int[]`` takes)."""
    if isinstance(value, (list, tuple)):
        return all(not isinstance(v, bool) and isinstance(v, (int, np.integer)) for v in value)
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def _expanded(value, name, dims):
    """``value`` as a tuple of ``dims`` ints: an int or a 1-list is repeated (PyTorch's
    ``expand_param_if_needed``)."""
    values = [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)]
    if len(values) == 1:
        return tuple(values * dims)
    if len(values) != dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dims} "
                           f"values to match the convolution dimensions, but got "
                           f"{name}={values}")
    return tuple(values)


def _string_padding(padding, input, weight, stride, dilation, groups):
    """``padding='valid'`` or ``'same'`` as ``(before, after)`` per dim, with the checks
    PyTorch's ``_convolution_mode`` makes first; returns ``(padding, stride, dilation)``."""
    dims = weight.ndim - 2
    if padding == "valid":
        return 0, stride, dilation
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if weight.ndim <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-"
                           f"dimensional weight{list(weight.shape)}, but got {input.ndim}-"
                           f"dimensional input of size {list(input.shape)} instead")
    strides = list(stride) if isinstance(stride, (list, tuple)) else [stride]
    dilations = list(dilation) if isinstance(dilation, (list, tuple)) else [dilation]
    for name, values in (("stride", strides), ("dilation", dilations)):
        if len(values) not in (1, dims):
            raise RuntimeError(f"{name} cannot broadcast to {dims} dimensions")
    if any(s != 1 for s in strides):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    dilations = dilations * dims if len(dilations) == 1 else dilations
    pads = []
    for d, k in zip(dilations, weight.shape[2:]):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return pads, stride, dilation


def _checked_weight_shape(input, weight, groups):
    """The weight's shape as a list, after PyTorch's checks shared by convolution and
    transposed convolution (``check_shape_forward``): the weight has the input's number of
    dims, and its first dim is at least ``groups`` and divisible by it."""
    shape = list(weight.shape)
    if weight.ndim != input.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-"
                           f"dimensional weight {shape}, but got {input.ndim}-dimensional input "
                           f"of size {list(input.shape)} instead")
    if shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {shape} instead")
    if shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{shape}] instead")
    return shape


def _checked(input, weight, bias, stride, padding, dilation, groups):
    """PyTorch's checks of ``at::_convolution`` (``check_shape_forward`` and the dtype tests of
    its kernels), in its order; returns ``stride``, ``padding`` (``(before, after)`` per dim;
    given as such by ``_string_padding``, else an int or ints) and ``dilation`` as tuples."""
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({dtypes.cpp_type_name(input.dtype)}) and bias type "
                           f"({dtypes.cpp_type_name(bias.dtype)}) should be the same")
    dims = weight.ndim - 2
    if dims <= 0:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    stride = _expanded(stride, "stride", dims)
    if not (isinstance(padding, list) and padding and isinstance(padding[0], tuple)):
        padding = [(p, p) for p in _expanded(padding, "padding", dims)]
    dilation = _expanded(dilation, "dilation", dims)
    if any(b < 0 or a < 0 for b, a in padding):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    shape = _checked_weight_shape(input, weight, groups)
    if input.shape[1] != shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {shape}, expected "
                           f"input{list(input.shape)} to have {shape[1] * groups} channels, but "
                           f"got {input.shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != shape[0]):
        raise RuntimeError(f"Given weight of size {shape}, expected bias to be 1-dimensional with "
                           f"{shape[0]} elements, but got bias of size {list(bias.shape)} instead")
    sizes = [size + b + a for size, (b, a) in zip(input.shape[2:], padding)]
    spans = [d * (k - 1) + 1 for d, k in zip(dilation, shape[2:])]
    if any(size < span for size, span in zip(sizes, spans)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, sizes))}). Kernel "
            f"size: ({' x '.join(map(str, spans))}). Kernel size can't be greater than actual "
            "input size")
    if any(d == 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if weight.dtype != input.dtype:
        if dtypes.is_floating(input.dtype):
            raise RuntimeError(f"Input type ({tensor_type_name(input.dtype)}) and weight type "
                               f"({tensor_type_name(weight.dtype)}) should be the same or input "
                               "should be a MKLDNN tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(input.dtype)} but "
                           f"found {dtypes.scalar_type_name(weight.dtype)}")
    if input.dtype is dtypes.bool:
        raise dtypes.not_implemented(f"slow_conv{dims}d_cpu" if dims > 1 else "slow_conv2d_cpu",
                                     input.dtype)
    return stride, tuple(padding), dilation


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                     output_padding: IntOrTuple = 0, groups: int = 1,
                     dilation: IntOrTuple = 1) -> Tensor:
    """1-D transposed convolution, PyTorch's ``F.conv_transpose1d`` (note its argument order:
    ``groups`` before ``dilation``): ``input`` ``(N, C_in, L)`` or ``(C_in, L)``, ``weight``
    ``(C_in, C_out / groups, K)``; see ``conv_transpose2d``."""
    return _convolution_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                                  output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                     output_padding: IntOrTuple = 0, groups: int = 1,
                     dilation: IntOrTuple = 1) -> Tensor:
    """2-D transposed convolution ("deconvolution"), PyTorch's ``F.conv_transpose2d``: the
    gradient of ``conv2d`` with respect to its input, as a layer that upsamples. ``input``
    ``(N, C_in, H, W)`` or ``(C_in, H, W)``, ``weight`` ``(C_in, C_out / groups, kH, kW)``,
    ``bias`` ``(C_out,)``; output ``H_out = (H - 1) stride - 2 padding + dilation (kH - 1) +
    output_padding + 1`` (the same for ``W``), ``output_padding`` smaller than the stride or
    the dilation. See ``ops.ConvolutionTranspose``."""
    return _convolution_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                                  output_padding, groups, dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                     output_padding: IntOrTuple = 0, groups: int = 1,
                     dilation: IntOrTuple = 1) -> Tensor:
    """3-D transposed convolution, PyTorch's ``F.conv_transpose3d``: ``input`` ``(N, C_in, D,
    H, W)`` or ``(C_in, D, H, W)``, ``weight`` ``(C_in, C_out / groups, kD, kH, kW)``, ``bias``
    ``(C_out,)``; output sizes as ``conv_transpose2d``'s, per dim. Floating inputs are checked
    as PyTorch's oneDNN path checks them (an output size of 0 gives an empty result), int64
    as its ``slow_conv_transpose3d``. See ``ops.ConvolutionTranspose``."""
    return _convolution_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                                  output_padding, groups, dilation)


def _convolution_transpose(name, dims, input, weight, bias, stride, padding, output_padding,
                           groups, dilation):
    for position, (argument, value) in enumerate((("input", input), ("weight", weight)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be "
                            f"Tensor, not {qualified_type_name(value)}")
    if autocast_state.casting:  # CPU autocast: PyTorch's lower-precision list
        input, weight, bias = autocast_state.lower_precision(input, weight, bias)
    for argument, value in (("stride", stride), ("padding", padding),
                            ("output_padding", output_padding), ("dilation", dilation)):
        if not _ints(value):
            raise TypeError(f"{name}(): argument '{argument}' must be tuple of ints, not "
                            f"{qualified_type_name(value)}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    stride, padding, output_padding, dilation = (
        (v,) * dims if not isinstance(v, (list, tuple)) else v
        for v in (stride, padding, output_padding, dilation))
    unbatched = input.ndim == dims + 1
    if unbatched:
        input = input.unsqueeze(0)
    if weight.ndim <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    k = weight.ndim - 2
    stride, padding, dilation, output_padding = (
        _expanded(v, label, k) for v, label in ((stride, "stride"), (padding, "padding"),
                                                (dilation, "dilation"),
                                                (output_padding, "output_padding")))
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    shape = _checked_weight_shape(input, weight, groups)
    if input.shape[1] != shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {shape}, expected "
                           f"input{list(input.shape)} to have {shape[0]} channels, but got "
                           f"{input.shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != shape[1] * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {shape}, expected bias to be "
                           f"1-dimensional with {shape[1] * groups} elements, but got bias of "
                           f"size {list(bias.shape)} instead")
    for label, other in (("weight", weight), ("bias", bias)):
        if other is not None and other.dtype != input.dtype:
            if dtypes.is_floating(input.dtype):
                raise RuntimeError(
                    f"Input type ({tensor_type_name(input.dtype)}) and {label} type "
                    f"({tensor_type_name(other.dtype)}) should be the same or input should be "
                    f"a MKLDNN tensor and {label} is a dense tensor")
            raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(input.dtype)} but "
                               f"found {dtypes.scalar_type_name(other.dtype)}")
    if k == 3:
        _check_transpose_3d(input, shape, stride, padding, output_padding, dilation)
    else:
        _check_transpose_planar(input, shape, stride, padding, output_padding, dilation, k)
    if input.dtype not in (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int64):
        raise dtypes.not_implemented(f"slow_conv_transpose{max(k, 2)}d_out_cpu", input.dtype)
    arguments = {"stride": stride, "padding": padding, "output_padding": output_padding,
                 "dilation": dilation, "groups": int(groups)}
    if bias is None:
        result = ConvolutionTranspose.apply(input, weight, **arguments)
    else:
        result = ConvolutionTranspose.apply(input, weight, bias, **arguments)
    return result.squeeze(0) if unbatched else result


def _transpose_output_size(input, shape, stride, padding, output_padding, dilation):
    return [(size - 1) * s - 2 * p + d * (kk - 1) + o + 1 for size, kk, s, p, o, d in zip(
        input.shape[2:], shape[2:], stride, padding, output_padding, dilation)]


def _output_too_small(input, out):
    return RuntimeError(
        f"Given input size per channel: ({' x '.join(map(str, input.shape[2:]))}). "
        f"Calculated output size per channel: ({' x '.join(map(str, out))}). Output size "
        "is too small")


def _check_transpose_planar(input, shape, stride, padding, output_padding, dilation, k):
    """The checks of PyTorch's 1-D/2-D transposed convolution after the shared ones, in its
    order (its oneDNN path's dilation message first)."""
    if any(d == 0 for d in dilation):
        raise RuntimeError("could not create a primitive descriptor for the deconvolution forward "
                           "propagation primitive. Run workload with environment variable "
                           "ONEDNN_VERBOSE=all to get additional diagnostic information.")
    # PyTorch's 1-D transposed convolution is its 2-D one on a height of 1
    planar = ([0] * (2 - k) + list(output_padding), [1] * (2 - k) + list(stride),
              [1] * (2 - k) + list(dilation))
    if any(o >= s and o >= d for o, s, d in zip(*planar)):
        (oh, ow), (sh, sw), (dh, dw) = planar[0][-2:], planar[1][-2:], planar[2][-2:]
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {oh} output_padding_width: {ow} stride_height: {sh} "
            f"stride_width: {sw} dilation_height: {dh} dilation_width: {dw}")
    out = _transpose_output_size(input, shape, stride, padding, output_padding, dilation)
    if any(size < 1 for size in out):
        raise _output_too_small(input, out)


def _check_transpose_3d(input, shape, stride, padding, output_padding, dilation):
    """The checks of PyTorch's 3-D transposed convolution after the shared ones: floating
    inputs take its oneDNN path (its messages; an output of size 0 is allowed, empty),
    int64 its ``slow_conv_transpose3d`` (which wants every output size at least 1)."""
    floating = dtypes.is_floating(input.dtype)
    if any(d == 0 for d in dilation):
        if floating:
            raise RuntimeError("dimensions are invalid")
        raise RuntimeError("dilation should be greater than zero, but got dilation_depth: "
                           f"{dilation[0]}, dilation_height: {dilation[1]}, dilation_width: "
                           f"{dilation[2]}")
    if any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation)):
        names = ("depth", "height", "width")
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got " + " ".join(
                f"{label}_{name}: {value}" for label, values in (
                    ("output_padding", output_padding), ("stride", stride),
                    ("dilation", dilation)) for name, value in zip(names, values)))
    out = _transpose_output_size(input, shape, stride, padding, output_padding, dilation)
    if floating and any(size < 0 for size in out):
        raise RuntimeError("could not construct a memory descriptor using a format tag")
    if not floating and any(size < 1 for size in out):
        raise _output_too_small(input, out)


class _ConvNd(Module):
    """What every convolution layer shares (PyTorch's ``_ConvNd``, with its constructor, so
    that a subclass written for PyTorch builds the same layer): argument checks, ``weight``
    ``(out_channels, in_channels / groups, *kernel_size)`` (``transposed``: ``(in_channels,
    out_channels / groups, *kernel_size)``), ``bias``, initialisation, padding modes and
    ``extra_repr``. ``kernel_size``, ``stride``, ``dilation``, ``output_padding`` and a
    non-string ``padding`` arrive as tuples (the public layers make them with ``_single``,
    ``_pair`` or ``_triple``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[int, ...] | str,
                 dilation: tuple[int, ...], transposed: bool, output_padding: tuple[int, ...],
                 groups: int, bias: bool, padding_mode: str,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        check_device(device)
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.groups, self.padding_mode = dilation, groups, padding_mode
        self.transposed, self.output_padding = transposed, output_padding
        if padding == "same":
            pads = []
            for d, k in zip(dilation, kernel_size):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
        elif padding == "valid":
            pads = [(0, 0)] * len(kernel_size)
        else:
            pads = [(p, p) for p in padding]
        # F.pad's order (last dim first, before then after), as PyTorch keeps it (a list for
        # a padding string, else a tuple)
        widths = [width for before, after in reversed(pads) for width in (before, after)]
        self._reversed_padding_repeated_twice = widths if isinstance(padding, str) else \
            tuple(widths)
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups))
        self.weight = Parameter(np.empty((*shape, *kernel_size), dtype=dtype))
        self.register_parameter(
            "bias", Parameter(np.empty(out_channels, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: the weight from ``kaiming_uniform_(a=sqrt(5))``, i.e.
        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = in_channels / groups * prod(
        kernel_size)``, then the bias (if any) from the same range; drawn in that order, so
        that a seed gives PyTorch's values."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.weight.shape[2:])
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * len(self.kernel_size):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


def _module_tuple(value, dims):
    """A module's ``kernel_size``/``stride``/... as PyTorch keeps it (its ``_ntuple``): an int
    repeated ``dims`` times, a sequence as a tuple."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * dims


def _conv_layer_init(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple,
                     stride: IntOrTuple = 1, padding: IntOrTuple | str = 0,
                     dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                     padding_mode: str = "zeros", device: DeviceLike | None = None,
                     dtype: DTypeLike | None = None) -> None:
    """The public constructor of ``Conv1d``/``Conv2d``/``Conv3d`` (one body for the three, as
    their ``_dims`` is all that differs): sizes made ``_dims``-tuples, then ``_ConvNd``."""
    dims = self._dims
    if not isinstance(padding, str):
        padding = _module_tuple(padding, dims)
    _ConvNd.__init__(self, in_channels, out_channels, _module_tuple(kernel_size, dims),
                     _module_tuple(stride, dims), padding, _module_tuple(dilation, dims), False,
                     (0,) * dims, groups, bias, padding_mode, device, dtype)


def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """PyTorch's ``Conv{1,2,3}d._conv_forward``: the convolution of ``input`` with the given
    ``weight`` and ``bias`` (a subclass may pass a reparametrised weight), padding first with
    ``F.pad`` for a ``padding_mode`` other than ``'zeros'``."""
    function = type(self)._function
    if self.padding_mode == "zeros":
        return function(input, weight, bias, self.stride, self.padding, self.dilation,
                        self.groups)
    return function(pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode),
                    weight, bias, self.stride, 0, self.dilation, self.groups)


def _conv_layer_forward(self, input: Tensor) -> Tensor:
    """The layer's convolution of ``input`` (``(N, C_in, *spatial)`` or unbatched) with its
    ``weight`` and ``bias``: ``_conv_forward``."""
    return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_ConvNd):
    """1-D convolution layer (PyTorch's ``nn.Conv1d``): input ``(N, C_in, L)`` or ``(C_in,
    L)``, ``weight`` ``(out_channels, in_channels / groups, kernel_size)``, ``bias``
    ``(out_channels,)``. Arguments, defaults, initialisation and ``extra_repr`` as
    ``Conv2d``."""

    _dims = 1
    _function = staticmethod(conv1d)
    __init__, _conv_forward, forward = _conv_layer_init, _conv_forward, _conv_layer_forward


class Conv2d(_ConvNd):
    """2-D convolution layer (PyTorch's ``nn.Conv2d``): ``F.conv2d(input, weight, bias,
    stride, padding, dilation, groups)``. Input ``(N, C_in, H, W)`` or unbatched ``(C_in, H,
    W)``; ``weight`` ``(out_channels, in_channels / groups, kH, kW)``, ``bias``
    ``(out_channels,)`` (``bias=False``: none). ``kernel_size``, ``stride``, ``padding`` and
    ``dilation`` are an int or a pair, kept as tuples; ``padding`` may be ``'valid'`` or
    ``'same'``. ``padding_mode`` ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or
    ``'circular'`` says what the padded border holds (through ``F.pad``, with its checks).
    Initialisation as PyTorch's
    (``reset_parameters``).
    """

    _dims = 2
    _function = staticmethod(conv2d)
    __init__, _conv_forward, forward = _conv_layer_init, _conv_forward, _conv_layer_forward


class Conv3d(_ConvNd):
    """3-D convolution layer (PyTorch's ``nn.Conv3d``): input ``(N, C_in, D, H, W)`` or
    ``(C_in, D, H, W)``, ``weight`` ``(out_channels, in_channels / groups, kD, kH, kW)``,
    ``bias`` ``(out_channels,)``. Arguments, defaults, initialisation and ``extra_repr`` as
    ``Conv2d``."""

    _dims = 3
    _function = staticmethod(conv3d)
    __init__, _conv_forward, forward = _conv_layer_init, _conv_forward, _conv_layer_forward


class _ConvTransposeNd(_ConvNd):
    """What ``ConvTranspose1d/2d/3d`` share (PyTorch's ``_ConvTransposeNd``, with its
    constructor: ``_ConvNd``'s, refusing any ``padding_mode`` but ``'zeros'``): ``weight`` is
    ``(in_channels, out_channels / groups, *kernel)``, ``output_padding`` lengthens the output,
    and ``forward`` may take the ``output_size`` wanted instead."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         transposed, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size, stride, padding, kernel_size,
                        num_spatial_dims: int, dilation=None):
        """PyTorch's ``_output_padding``: the ``output_padding`` that gives ``output_size``
        (its spatial sizes, or all of them with the batch and channel dims), within the range
        of sizes the input allows; ``self.output_padding`` when no size is asked for."""
        if output_size is None:
            return self.output_padding
        has_batch_dim = input.ndim == num_spatial_dims + 2
        non_spatial = 2 if has_batch_dim else 1
        if len(output_size) == non_spatial + num_spatial_dims:
            output_size = output_size[non_spatial:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(
                f"ConvTranspose{num_spatial_dims}D: for {input.ndim}D input, output_size must "
                f"have {num_spatial_dims} or {non_spatial + num_spatial_dims} elements (got "
                f"{len(output_size)})")
        smallest = [(input.shape[d + non_spatial] - 1) * stride[d] - 2 * padding[d]
                    + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1
                    for d in range(num_spatial_dims)]
        largest = [low + s - 1 for low, s in zip(smallest, stride)]
        for size, low, high in zip(output_size, smallest, largest):
            if not low <= size <= high:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range "
                    f"from {smallest} to {largest} (for an input of {Size(input.shape[2:])})")
        return [size - low for size, low in zip(output_size, smallest)]


def _conv_transpose_layer_init(self, in_channels: int, out_channels: int,
                               kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                               padding: IntOrTuple = 0, output_padding: IntOrTuple = 0,
                               groups: int = 1, bias: bool = True, dilation: IntOrTuple = 1,
                               padding_mode: str = "zeros", device: DeviceLike | None = None,
                               dtype: DTypeLike | None = None) -> None:
    """The public constructor of ``ConvTranspose1d/2d/3d``: sizes made ``_dims``-tuples, then
    ``_ConvTransposeNd``."""
    if isinstance(padding, str):
        raise ValueError(f"{type(self).__name__} does not support a padding string, got "
                         f"{padding!r}")
    dims = self._dims
    _ConvTransposeNd.__init__(
        self, in_channels, out_channels, _module_tuple(kernel_size, dims),
        _module_tuple(stride, dims), _module_tuple(padding, dims), _module_tuple(dilation, dims),
        True, _module_tuple(output_padding, dims), groups, bias, padding_mode, device, dtype)


def _conv_transpose_layer_forward(self, input: Tensor,
                                  output_size: list[int] | None = None) -> Tensor:
    """The layer's transposed convolution of ``input``; ``output_size`` (the spatial sizes
    wanted, or the whole shape) picks the ``output_padding`` that gives it, as PyTorch's."""
    if self.padding_mode != "zeros":
        raise ValueError(f"Only `zeros` padding mode is supported for {type(self).__name__}")
    output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                          self.kernel_size, self._dims, self.dilation)
    return type(self)._function(input, self.weight, self.bias, self.stride, self.padding,
                                output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution layer (PyTorch's ``nn.ConvTranspose1d``): input ``(N, C_in,
    L)`` or ``(C_in, L)``; see ``ConvTranspose2d``."""

    _dims = 1
    _function = staticmethod(conv_transpose1d)
    __init__, forward = _conv_transpose_layer_init, _conv_transpose_layer_forward


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution layer (PyTorch's ``nn.ConvTranspose2d``):
    ``F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
    dilation)`` with ``weight`` ``(in_channels, out_channels / groups, kH, kW)`` and ``bias``
    ``(out_channels,)``, initialised as PyTorch's (``kaiming_uniform_(a=sqrt(5))`` over its
    fan-in, ``weight.shape[1] * kH * kW``, then the bias in the same range). ``forward(input,
    output_size=None)``: an ``output_size`` picks the ``output_padding`` that reaches it."""

    _dims = 2
    _function = staticmethod(conv_transpose2d)
    __init__, forward = _conv_transpose_layer_init, _conv_transpose_layer_forward


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution layer (PyTorch's ``nn.ConvTranspose3d``): input ``(N, C_in,
    D, H, W)`` or ``(C_in, D, H, W)``, ``weight`` ``(in_channels, out_channels / groups, kD,
    kH, kW)``; see ``ConvTranspose2d``."""

    _dims = 3
    _function = staticmethod(conv_transpose3d)
    __init__, forward = _conv_transpose_layer_init, _conv_transpose_layer_forward


def conv_tbc(input, weight, bias, pad=0):
    """``torch.conv_tbc`` (also ``F.conv_tbc``): a 1-D convolution in time-batch-channel layout,
    ``input`` ``(time, batch, in)``, ``weight`` ``(kernel, in, out)``, ``bias`` ``(out,)``,
    ``pad`` zeros at each end of time; the result ``(time_out, batch, out)``. ``F.conv1d`` on
    the permuted tensors (PyTorch's own kernel sums in another order: ~1e-16 apart in
    float64)."""
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if bias.shape[0] != weight.shape[2]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)
