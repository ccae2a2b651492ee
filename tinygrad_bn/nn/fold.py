"""Sliding blocks: ``unfold`` (an image's windows as columns, PyTorch's ``im2col``) and
``fold`` (columns summed back into an image, ``col2im``), re-exported by ``nn.functional``,
and the modules ``Unfold`` and ``Fold``. They run the ops ``Im2Col`` and ``Col2Im``, whose
kernels are the ones convolution runs on."""

from __future__ import annotations

import math
from typing import Union

from .. import dtypes
from ..ops.convolution import Col2Im, Im2Col
from ..tensor import Tensor
from .module import Module

IntOrPair = Union[int, tuple[int, int]]


def _pair(value, name):
    """PyTorch's ``_pair`` and then its C++ length check (``It is expected ... equals to 2``)."""
    values = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
    if len(values) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")
    return tuple(int(v) for v in values)


def _check_positive(kernel, stride, dilation, padding, order):
    """The argument checks of PyTorch's ``im2col_shape_check``/``col2im_shape_check``, in
    ``order`` (the two check them in different orders)."""
    checks = {
        "kernel": (min(kernel) > 0, "kernel size should be greater than zero, but got "
                   f"kernel_height: {kernel[0]} kernel_width: {kernel[1]}"),
        "stride": (min(stride) > 0, "stride should be greater than zero, but got "
                   f"stride_height: {stride[0]} stride_width: {stride[1]}"),
        "dilation": (min(dilation) > 0, "dilation should be greater than zero, but got "
                     f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}"),
        "padding": (min(padding) >= 0, "padding should be non-negative, but got "
                    f"pad_height: {padding[0]} pad_width: {padding[1]}"),
    }
    for name in order:
        passed, message = checks[name]
        if not passed:
            raise RuntimeError(message)


def _blocks(size, kernel, stride, padding, dilation):
    """The number of sliding blocks along one dim (``div_rtn``: floor division, so negative
    for a kernel larger than the padded input)."""
    return (size + 2 * padding - (dilation * (kernel - 1) + 1)) // stride + 1


def unfold(input: Tensor, kernel_size: IntOrPair, dilation: IntOrPair = 1,
           padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """The sliding ``kernel_size`` blocks of ``input`` ``(N, C, H, W)`` or ``(C, H, W)`` as
    columns, PyTorch's ``F.unfold``: ``(N, C * kH * kW, L)`` (``(C * kH * kW, L)`` unbatched)
    with ``L = L_H * L_W`` and ``L_H = floor((H + 2 padding - dilation (kH - 1) - 1) / stride)
    + 1``; column ``l`` is the block at position ``(l // L_W, l % L_W)``, its rows ordered
    channel, then kernel row, then kernel column. A convolution is ``weight.view(C_out, -1)
    @ unfold(input)``. Floating and bool inputs, as PyTorch's kernel."""
    kernel, dilation, padding, stride = (_pair(v, name) for v, name in (
        (kernel_size, "kernel_size"), (dilation, "dilation"), (padding, "padding"),
        (stride, "stride")))
    _check_positive(kernel, stride, dilation, padding, ("kernel", "dilation", "padding", "stride"))
    shape, ndim = input.shape, input.ndim
    if ndim < 3:  # PyTorch reads input.size(1) and input.size(2) before it looks at ndim
        raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, "
                         f"{ndim - 1}], but got {ndim})")
    if not ((ndim == 3 and 0 not in shape) or (ndim == 4 and 0 not in shape[1:])):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {list(shape)}")
    height, width = shape[-2:]
    blocks = [_blocks(size, k, s, p, d) for size, k, s, p, d in
              zip((height, width), kernel, stride, padding, dilation)]
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size ({height}, {width}), kernel_size=({kernel[0]}, "
            f"{kernel[1]}), dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, "
            f"{padding[1]}), calculated shape of the array of sliding blocks as ({blocks[0]}, "
            f"{blocks[1]}), but its components must be at least one.")
    if not (dtypes.is_floating(input.dtype) or input.dtype is dtypes.bool):
        raise dtypes.not_implemented("im2col_out_cpu", input.dtype)
    batch = input if ndim == 4 else input.unsqueeze(0)
    out = Im2Col.apply(batch, kernel_size=kernel, stride=stride,
                       padding=tuple((p, p) for p in padding), dilation=dilation)
    return out if ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size: IntOrPair, kernel_size: IntOrPair, dilation: IntOrPair = 1,
         padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """Columns summed into an image, PyTorch's ``F.fold`` (the adjoint of ``unfold``, and its
    inverse where blocks do not overlap): ``input`` ``(N, C * kH * kW, L)`` or ``(C * kH *
    kW, L)``, ``L`` the number of blocks ``unfold`` takes from an ``output_size`` image;
    result ``(N, C, *output_size)`` (or ``(C, *output_size)``), each element the sum of the
    column entries that read it. Floating and bool inputs (bool sums as ``or``); float16
    adds in float16 in PyTorch's order, so overlapping blocks round as there."""
    output_size, kernel, dilation, padding, stride = (_pair(v, name) for v, name in (
        (output_size, "output_size"), (kernel_size, "kernel_size"), (dilation, "dilation"),
        (padding, "padding"), (stride, "stride")))
    _check_positive(kernel, stride, dilation, padding, ("kernel", "stride", "dilation", "padding"))
    shape, ndim = input.shape, input.ndim
    if not ((ndim == 2 and 0 not in shape) or (ndim == 3 and 0 not in shape[1:])):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
                           f"size and non-zero dimensions for input, but got: {list(shape)}")
    planes, length = shape[-2:]
    if planes % math.prod(kernel):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={planes} and kernel_size=("
                           f"{kernel[0]}, {kernel[1]}).")
    blocks = [_blocks(size, k, s, p, d) for size, k, s, p, d in
              zip(output_size, kernel, stride, padding, dilation)]
    given = (f"Given output_size=({output_size[0]}, {output_size[1]}), kernel_size=({kernel[0]}, "
             f"{kernel[1]}), dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, "
             f"{padding[1]}), stride=({stride[0]}, {stride[1]}), ")
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(f"{given}expected size of input's dimension 2 to match the calculated "
                           f"number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={length}.")
    if min(blocks) < 1:
        raise RuntimeError(f"{given}calculated shape of the array of sliding blocks as ("
                           f"{blocks[0]}, {blocks[1]}), which is too small (non-positive)")
    if not (dtypes.is_floating(input.dtype) or input.dtype is dtypes.bool):
        raise dtypes.not_implemented("col2im_out_cpu", input.dtype)
    batch = input if ndim == 3 else input.unsqueeze(0)
    out = Col2Im.apply(batch, output_size=output_size, kernel_size=kernel, stride=stride,
                       padding=tuple((p, p) for p in padding), dilation=dilation)
    return out if ndim == 3 else out.squeeze(0)


class Unfold(Module):
    """``F.unfold`` as a layer (PyTorch's ``nn.Unfold``): arguments kept as given."""

    def __init__(self, kernel_size: IntOrPair, dilation: IntOrPair = 1, padding: IntOrPair = 0,
                 stride: IntOrPair = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """``F.fold`` as a layer (PyTorch's ``nn.Fold``): arguments kept as given."""

    def __init__(self, output_size: IntOrPair, kernel_size: IntOrPair, dilation: IntOrPair = 1,
                 padding: IntOrPair = 0, stride: IntOrPair = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
