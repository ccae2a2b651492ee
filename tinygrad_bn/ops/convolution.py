"""Convolution (``F.conv1d/2d/3d`` and the transposed ones: one op each for any number of
spatial dims), the array helpers pooling shares with it, the sliding windows of an array
(``windows``, a strided view) and their sum back into an array (``add_windows``, one
strided-slice add per kernel offset), and the two kernels built on them, ``im2col`` and
``col2im``, which are both ``Convolution``'s and ``F.unfold``/``F.fold``'s (the ops ``Im2Col``
and ``Col2Im``)."""

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.graph import Op
from .opmath import opmath, opmath_backward, widen


def output_size(size, kernel, stride, padding, dilation, ceil_mode=False):
    """Windows along one dim of ``size`` elements (PyTorch's ``pooling_output_shape`` and the
    convolution's): ``floor((size + 2 padding - dilation (kernel - 1) - 1) / stride) + 1``, or
    with ``ceil_mode`` rounded up, less the last window if it would start in the right
    padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    count = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1
    return count


def windows(array, kernel_size, stride, dilation, out_size):
    """The strided view ``(N, C, *kernel_size, *out_size)`` of ``array`` ``(N, C, *spatial)``
    (already padded): element ``[n, c, *k, *o]`` is ``array[n, c, *(o * stride + k *
    dilation)]``. No copy; reshaping it makes the im2col matrix. Kernel dims come before output
    dims so that the copy reads along output positions (unit stride for ``stride`` 1)."""
    leading, spatial = array.strides[:2], array.strides[2:]
    return as_strided(
        array, shape=array.shape[:2] + tuple(kernel_size) + tuple(out_size),
        strides=leading + tuple(s * d for s, d in zip(spatial, dilation))
        + tuple(s * t for s, t in zip(spatial, stride)), writeable=False)


def add_windows(target, grad_windows, stride, dilation):
    """The inverse of ``windows`` for gradients (col2im): add ``grad_windows`` ``(N, C,
    *kernel, *out)`` into ``target`` ``(N, C, *spatial)`` in place, each window element onto
    the element it was read from. One strided-slice ``+=`` per kernel offset (9 for a 3x3
    kernel), each over the whole batch; ``np.add.at`` on flat indices would do the same one
    element at a time."""
    dims = len(stride)
    kernel = grad_windows.shape[2:2 + dims]
    out = grad_windows.shape[2 + dims:]
    for offset in itertools.product(*map(range, kernel)):
        index = (slice(None), slice(None)) + tuple(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, o, s in zip(offset, dilation, out, stride))
        target[index] += grad_windows[(slice(None), slice(None)) + offset]


def padded(array, before, after, value=0):
    """``array`` ``(N, C, *spatial)`` with ``before[i]`` and ``after[i]`` elements of ``value``
    added on each side of spatial dim ``i``; ``array`` itself when there are none."""
    if not any(before) and not any(after):
        return array
    shape = array.shape[:2] + tuple(size + b + a for size, b, a in
                                    zip(array.shape[2:], before, after))
    result = np.full(shape, value, dtype=array.dtype)
    result[(slice(None), slice(None)) + tuple(slice(b, b + size) for b, size in
                                              zip(before, array.shape[2:]))] = array
    return result


def im2col(array, kernel, stride, padding, dilation, out_size=None):
    """``(cols, out_size)``: the windows of ``array`` ``(N, C, *spatial)``, zero-padded by
    ``padding`` (``(before, after)`` per dim), copied once into the matrix ``(N, C *
    prod(kernel), prod(out_size))`` (row ``c * prod(kernel) + flat kernel offset``, column the
    flat output position: PyTorch's ``im2col``, what ``F.unfold`` returns). ``out_size``
    defaults to every window that fits; a smaller one takes the first windows only."""
    x = padded(array, [b for b, _ in padding], [a for _, a in padding])
    if out_size is None:
        out_size = tuple(output_size(size, k, s, 0, d) for size, k, s, d in
                         zip(x.shape[2:], kernel, stride, dilation))
    cols = windows(x, kernel, stride, dilation, out_size).reshape(
        array.shape[0], array.shape[1] * math.prod(kernel), math.prod(out_size))
    return cols, out_size


def col2im(cols, shape, kernel, stride, padding, dilation, out_size):
    """The adjoint of ``im2col``: ``cols`` ``(N, C * prod(kernel), prod(out_size))`` (or any
    shape holding those elements in that order) summed back onto an array of ``shape`` ``(N,
    C, *spatial)``, each column element onto the element its window read (those that fell in
    the padding dropped): PyTorch's ``col2im``, what ``F.fold`` returns. Additions run one
    kernel offset at a time in increasing order, in ``cols``' dtype, as PyTorch's loop (so
    float16 rounds after each, as there; bool adds as ``or``)."""
    padded_shape = tuple(shape[:2]) + tuple(size + b + a for size, (b, a) in
                                            zip(shape[2:], padding))
    whole = np.zeros(padded_shape, dtype=cols.dtype)
    add_windows(whole, cols.reshape(padded_shape[:2] + tuple(kernel) + tuple(out_size)),
                stride, dilation)
    return whole[(slice(None), slice(None)) + tuple(
        slice(before, before + size) for (before, _), size in zip(padding, shape[2:]))]


@opmath
class Convolution(Op):
    """Cross-correlation of ``input`` ``(N, C_in, *spatial)`` with ``weight`` ``(C_out, C_in /
    groups, *kernel)``, plus ``bias`` ``(C_out,)``: PyTorch's ``conv1d``/``conv2d`` (the
    functions in ``nn.functional`` check the arguments and add the batch dim of an unbatched
    input). With ``groups`` g, input channels and output channels are split into g equal
    blocks and block j of the output sees only block j of the input::

        out[n, f, o] = bias[f] + sum_{c, k} input_padded[n, g(f) C_g + c, o * stride + k * dilation]
                                            * weight[f, c, k]

    Output size per dim: ``floor((size + pad_before + pad_after - dilation (kernel - 1) - 1) /
    stride) + 1``. ``padding`` holds ``(before, after)`` per spatial dim (different only for
    ``padding='same'`` with an even kernel, where PyTorch puts the extra element after).

    Forward is ``im2col``: the input's windows (``windows``, a strided view) are copied once
    into a ``(N, g, C_g * K, O)`` matrix and multiplied by the weight as ``(g, F_g, C_g *
    K)`` in one ``matmul``. Backward, with ``G`` = dL/dout as ``(N, g, F_g, O)``::

        dL/dweight = sum_n G[n] @ cols[n].T      dL/dbias = G summed over n and o
        dL/dcols = weight.T @ G, added back onto the input by ``col2im``

    The columns are saved for the weight's gradient, the weight for the input's. Float16 is
    computed in float32 and rounded once (``@opmath``); integer dtypes multiply exactly in
    their own dtype, as PyTorch's ``slow_conv2d`` does (no gradient).
    """

    __slots__ = ("stride", "padding", "dilation", "groups")
    multilinear_inputs = (0, 1)  # create_graph: see autograd/higher_order.py
    arguments = ("stride", "padding", "dilation", "groups")

    def __init__(self, stride, padding, dilation, groups):
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    def forward(self, input, weight, bias=None):
        groups = self.groups
        batch, channels = input.shape[:2]
        out_channels, kernel = weight.shape[0], weight.shape[2:]
        cols, out_size = im2col(input, kernel, self.stride, self.padding, self.dilation)
        positions, taps = math.prod(out_size), (channels // groups) * math.prod(kernel)
        cols = cols.reshape(batch, groups, taps, positions)
        weight_matrix = weight.reshape(groups, out_channels // groups, taps)
        out = np.matmul(weight_matrix, cols)  # (N, g, F_g, O)
        if bias is not None:
            out += bias.reshape(groups, out_channels // groups, 1)
        needs = self.needs_input_grad
        if needs:
            self.saved = (cols if needs[1] else None, weight_matrix if needs[0] else None,
                          input.shape, weight.shape)
        return out.reshape((batch, out_channels) + out_size)

    def backward(self, grad_output):
        cols, weight_matrix, input_shape, weight_shape = self.saved
        needs = self.needs_input_grad
        batch, out_channels = grad_output.shape[:2]
        groups = self.groups
        grad = grad_output.reshape(batch, groups, out_channels // groups,
                                   math.prod(grad_output.shape[2:]))
        grad_input = grad_weight = grad_bias = None
        if needs[0]:
            grad_cols = np.matmul(weight_matrix.swapaxes(-1, -2), grad)  # (N, g, C_g K, O)
            grad_input = col2im(grad_cols, input_shape, weight_shape[2:], self.stride,
                                self.padding, self.dilation, grad_output.shape[2:])
        if needs[1]:
            grad_weight = np.matmul(grad, cols.swapaxes(-1, -2)).sum(axis=0).reshape(weight_shape)
        if len(needs) == 3 and needs[2]:
            grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
        if len(needs) == 2:
            return grad_input, grad_weight
        return grad_input, grad_weight, grad_bias


@opmath_backward  # the forward handles float16 itself, as PyTorch's kernel rounds
class ConvolutionTranspose(Op):
    """The transpose (adjoint) of ``Convolution`` with respect to its input, PyTorch's
    ``conv_transpose1d``/``conv_transpose2d``: ``input`` ``(N, C_in, *spatial)``, ``weight``
    ``(C_in, C_out / groups, *kernel)``, ``bias`` ``(C_out,)``. Each input element scatters
    ``input[n, c, i] * weight[c, f, k]`` onto output position ``i * stride + k * dilation -
    padding``::

        out_size = (size - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1

    Forward is one ``matmul`` (``weight.T @ input`` per group, the columns) and ``col2im``
    onto a canvas the output is cut from; backward reads the gradient's windows (``im2col``,
    as ``Convolution``'s forward) for both gradients::

        dL/dinput = weight @ windows(G)       dL/dweight = sum_n input[n] @ windows(G)[n].T

    ``output_padding`` only lengthens the output (with elements no input reaches but the
    bias). Float16 rounds where PyTorch's CPU kernels do: its oneDNN path (every
    ``output_padding`` below the stride) computes in float32 and rounds once; its fallback
    (``slow_conv_transpose2d``) rounds the columns (a float32 product), then every col2im
    addition and the bias in float16 (rounding once there instead differs from PyTorch by up
    to 5% where windows overlap). Gradients of float16 are computed in float32
    (``@opmath_backward``). Integer dtypes are exact.
    """

    __slots__ = ("stride", "padding", "output_padding", "dilation", "groups")
    multilinear_inputs = (0, 1)  # create_graph: see autograd/higher_order.py
    arguments = ("stride", "padding", "output_padding", "dilation", "groups")

    def __init__(self, stride, padding, output_padding, dilation, groups):
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.dilation, self.groups = dilation, groups

    def _canvas(self, in_size, kernel):
        """``(out_size, canvas)``: the output's size and the full size written to (the output
        starts ``padding`` into it)."""
        out = tuple((size - 1) * s - 2 * p + d * (k - 1) + o + 1 for size, k, s, p, o, d in zip(
            in_size, kernel, self.stride, self.padding, self.output_padding, self.dilation))
        canvas = tuple(max((size - 1) * s + d * (k - 1) + 1, p + o_size) for size, k, s, d, p,
                       o_size in zip(in_size, kernel, self.stride, self.dilation, self.padding,
                                     out))
        return out, canvas

    def _margins(self, out_size, canvas):
        """``(before, after)`` per dim: where the output sits in the canvas."""
        return [(p, c - p - size) for p, c, size in zip(self.padding, canvas, out_size)]

    def forward(self, input, weight, bias=None):
        groups = self.groups
        batch, channels = input.shape[:2]
        kernel, in_size = weight.shape[2:], input.shape[2:]
        out_channels = weight.shape[1] * groups
        taps = weight.shape[1] * math.prod(kernel)
        weight_matrix = weight.reshape(groups, channels // groups, taps)
        rows = input.reshape(batch, groups, channels // groups, math.prod(in_size))
        stepwise = any(o >= s for o, s in zip(self.output_padding, self.stride))
        work = input.dtype if stepwise else widen(input[:0]).dtype  # see the docstring
        cols = np.matmul(widen(weight_matrix).swapaxes(-1, -2), widen(rows))  # (N, g, C_g K, I)
        cols = cols.astype(work, copy=False)
        out_size, canvas = self._canvas(in_size, kernel)
        out = np.array(col2im(cols, (batch, out_channels) + out_size, kernel, self.stride,
                              self._margins(out_size, canvas), self.dilation, in_size))
        if bias is not None:
            out += bias.astype(work, copy=False).reshape((out_channels,) + (1,) * len(out_size))
        needs = self.needs_input_grad
        if needs:
            self.saved = (rows if needs[1] else None, weight_matrix if needs[0] else None,
                          input.shape, weight.shape, canvas)
        return out.astype(input.dtype, copy=False)

    def backward(self, grad_output):
        rows, weight_matrix, input_shape, weight_shape, canvas = self.saved
        needs = self.needs_input_grad
        groups = self.groups
        batch, out_channels = grad_output.shape[:2]
        kernel, in_size = weight_shape[2:], input_shape[2:]
        cols, _ = im2col(grad_output, kernel, self.stride,
                         self._margins(grad_output.shape[2:], canvas), self.dilation, in_size)
        cols = cols.reshape(batch, groups, weight_shape[1] * math.prod(kernel),
                            math.prod(in_size))
        grad_input = grad_weight = grad_bias = None
        if needs[0]:
            grad_input = np.matmul(weight_matrix, cols).reshape(input_shape)
        if needs[1]:
            grad_weight = np.matmul(rows, cols.swapaxes(-1, -2)).sum(axis=0).reshape(
                weight_shape)
        if len(needs) == 3 and needs[2]:
            grad_bias = grad_output.sum(axis=(0,) + tuple(range(2, grad_output.ndim)))
        if len(needs) == 2:
            return grad_input, grad_weight
        return grad_input, grad_weight, grad_bias


class Im2Col(Op):
    """The sliding blocks of ``input`` ``(N, C, *spatial)`` as columns (PyTorch's ``im2col``,
    ``F.unfold``): ``(N, C * prod(kernel_size), L)``, where column ``l`` holds the window at
    output position ``l`` (row-major over the ``L = prod(out)`` positions) and row ``c *
    prod(kernel_size) + k`` its element at flat kernel offset ``k`` of channel ``c``::

        out[n, c K + k, l] = input_padded[n, c, o(l) * stride + k * dilation]

    ``padding`` holds ``(before, after)`` per dim. The gradient is ``col2im`` of
    ``grad_output`` (each window element's gradient added onto the element it read). Any
    dtype (PyTorch's kernel takes floating and bool); float16 gradients add in float16, as
    PyTorch's ``col2im``."""

    __slots__ = ("kernel_size", "stride", "padding", "dilation")
    arguments = ("kernel_size", "stride", "padding", "dilation")

    def __init__(self, kernel_size, stride, padding, dilation):
        self.kernel_size, self.stride = kernel_size, stride
        self.padding, self.dilation = padding, dilation

    def forward(self, input):
        cols, out_size = im2col(input, self.kernel_size, self.stride, self.padding,
                                self.dilation)
        if self.needs_input_grad:
            self.saved = (input.shape, out_size)
        return cols

    def backward(self, grad_output):
        input_shape, out_size = self.saved
        return (col2im(grad_output, input_shape, self.kernel_size, self.stride, self.padding,
                       self.dilation, out_size),)


class Col2Im(Op):
    """The adjoint of ``Im2Col`` (PyTorch's ``col2im``, ``F.fold``): columns ``(N, C *
    prod(kernel_size), L)`` summed into an array ``(N, C, *output_size)``, each column element
    onto the element of the zero-padded output its window position reads, those in the
    padding dropped. The gradient is ``im2col`` of ``grad_output``. Additions in the input's
    dtype, one kernel offset at a time, as PyTorch's loop: float16 rounds after each, as
    there, and bool adds as ``or``."""

    __slots__ = ("output_size", "kernel_size", "stride", "padding", "dilation")
    arguments = ("output_size", "kernel_size", "stride", "padding", "dilation")

    def __init__(self, output_size, kernel_size, stride, padding, dilation):
        self.output_size, self.kernel_size, self.stride = output_size, kernel_size, stride
        self.padding, self.dilation = padding, dilation

    def _blocks(self):
        return tuple(output_size(size + b + a, k, s, 0, d) for size, (b, a), k, s, d in zip(
            self.output_size, self.padding, self.kernel_size, self.stride, self.dilation))

    def forward(self, input):
        planes = input.shape[1] // math.prod(self.kernel_size)
        return col2im(input, (input.shape[0], planes) + tuple(self.output_size),
                      self.kernel_size, self.stride, self.padding, self.dilation, self._blocks())

    def backward(self, grad_output):
        return (im2col(grad_output, self.kernel_size, self.stride, self.padding,
                       self.dilation)[0],)
