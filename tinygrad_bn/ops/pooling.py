"""Pooling over the spatial dims of ``(N, C, *spatial)`` arrays, any number of them: the
maximum (``MaxPool``, and ``max_pool_indices`` for ``return_indices``), the average
(``AvgPool``), the adaptive average and maximum (``AdaptiveAvgPool``, ``AdaptiveMaxPool``),
the fractional maximum (``FractionalMaxPool``) and the partial inverse of a max pool
(``MaxUnpool``). Windows are the strided views of ``convolution.windows``, and gradients go
back through ``convolution.add_windows`` (or, for pools that took one element per window,
``gradient_at_index``)."""

import functools
import itertools
import math

import numpy as np

from ..autograd.graph import Op
from .convolution import add_windows, output_size, padded, windows
from .opmath import FLOAT, HALF, narrow, opmath, opmath_backward, widen


def _geometry(spatial, kernel, stride, padding, dilation, ceil_mode):
    """``(out_size, after)``: the output size per dim and the elements to add after each dim
    (its padding, or fewer or more: ``ceil_mode``'s last window may run past it)."""
    out = tuple(output_size(size, k, s, p, d, ceil_mode) for size, k, s, p, d in
                zip(spatial, kernel, stride, padding, dilation))
    after = tuple(max(0, (o - 1) * s + d * (k - 1) + 1 - size - p) for o, size, k, s, p, d in
                  zip(out, spatial, kernel, stride, padding, dilation))
    return out, after


def _inside(offset, out, spatial, stride, padding, dilation):
    """Which output positions read a real element (not padding) at kernel ``offset``: a
    boolean array broadcasting to ``out``, or None when all of them do."""
    mask = None
    for axis, (k, o, size, s, p, d) in enumerate(zip(offset, out, spatial, stride, padding,
                                                     dilation)):
        position = np.arange(o) * s - p + k * d
        inside = (position >= 0) & (position < size)
        if inside.all():
            continue
        inside = inside.reshape((-1,) + (1,) * (len(out) - 1 - axis))
        mask = inside if mask is None else mask & inside
    return mask


def max_windows(array, kernel, stride, padding, dilation, ceil_mode):
    """``(values, choice, out)``: each window's maximum and the flat kernel offset it was found
    at, as PyTorch's CPU kernel picks it: the first maximum, but a NaN wherever it is (the last
    NaN), and padding never (a window of -inf picks its first real element).

    One pass over the kernel offsets with arithmetic only: ``np.maximum`` for the values
    (padding holds the dtype's lowest value, NaN propagates), and since offsets come in
    increasing order, the offset chosen is the largest one that beat the values before it,
    ``np.maximum(choice, take * offset)``, kept in the smallest unsigned dtype that holds the
    offsets. Masked writes (``np.copyto(where=)``, boolean indexing) took 2-3 ms each on a
    (64, 16, 14, 14) float32 output, against 0.5 ms for these: forward and backward of a 2x2
    pool of (64, 16, 28, 28) went from 24 ms to 11 ms (A/B in one process, one thread)."""
    spatial = array.shape[2:]
    out, after = _geometry(spatial, kernel, stride, padding, dilation, ceil_mode)
    lowest = -np.inf if array.dtype.kind == "f" else np.iinfo(array.dtype).min
    view = windows(padded(array, padding, after, lowest), kernel, stride, dilation, out)
    floating = array.dtype.kind == "f"
    offset_type = np.min_scalar_type(math.prod(kernel) - 1)  # uint8 up to 256 offsets
    best = choice = found = None
    for flat, offset in enumerate(itertools.product(*map(range, kernel))):
        value = view[(slice(None), slice(None)) + offset]
        inside = _inside(offset, out, spatial, stride, padding, dilation)
        if best is None:
            best = np.array(value)  # a copy: it is updated in place
            choice = np.zeros(best.shape, dtype=offset_type)
            found = None if inside is None else np.broadcast_to(inside, out).copy()
            continue
        take = np.greater(value, best)
        if floating:
            take |= np.isnan(value)
        if found is not None:  # some windows may still hold only padding
            take |= ~found
            if inside is not None:
                take &= inside
                found |= inside
            else:
                found = None
        np.maximum(choice, np.multiply(take, flat, dtype=offset_type), out=choice)
        np.maximum(best, value, out=best)
    return best, choice, out


def max_pool_indices(array, kernel_size, stride, padding, dilation, ceil_mode):
    """``return_indices``: where each maximum is, as a flat index into its ``(N, c)`` plane of
    the unpadded input (PyTorch's convention, what ``max_unpool`` reads), int64."""
    _, choice, out = max_windows(array, kernel_size, stride, padding, dilation, ceil_mode)
    offsets = np.unravel_index(choice, kernel_size)
    index = np.zeros(choice.shape, dtype=np.int64)
    for axis, (offset, size, o, s, p, d) in enumerate(zip(offsets, array.shape[2:], out, stride,
                                                          padding, dilation)):
        start = (np.arange(o) * s - p).reshape((-1,) + (1,) * (len(out) - 1 - axis))
        index = index * size + start + offset * d
    return index


class MaxPool(Op):
    """The maximum of each window (PyTorch's ``max_pool1d``/``max_pool2d``): input ``(N, C,
    *spatial)``, windows of ``kernel`` elements spaced by ``dilation``, every ``stride``,
    over the input with ``padding`` on both sides (padding is never picked); ``ceil_mode``
    keeps a last partial window that starts inside the input or its left padding. Output
    ``(N, C, *out)`` with ``out = floor_or_ceil((size + 2 padding - dilation (kernel - 1) -
    1) / stride) + 1``.

    The gradient of each output goes to the one input element it took (``max_windows``: the
    first maximum, as PyTorch's CPU kernel), added up where windows overlap.
    """

    __slots__ = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
    arguments = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")

    def __init__(self, kernel_size, stride, padding, dilation, ceil_mode):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def forward(self, input):
        values, choice, out = max_windows(input, self.kernel_size, self.stride, self.padding,
                                          self.dilation, self.ceil_mode)
        if self.needs_input_grad:
            self.saved = (choice, input.shape, out)
        return values

    def backward(self, grad_output):
        choice, input_shape, out = self.saved
        kernel = self.kernel_size
        _, after = _geometry(input_shape[2:], kernel, self.stride, self.padding, self.dilation,
                             self.ceil_mode)
        whole = np.zeros(input_shape[:2] + tuple(size + p + a for size, p, a in
                                                 zip(input_shape[2:], self.padding, after)),
                         dtype=grad_output.dtype)
        flat = np.arange(math.prod(kernel)).reshape(kernel + (1,) * len(out))
        taken = choice[:, :, np.newaxis] == flat.reshape((1, 1, -1) + (1,) * len(out))
        grad_windows = (taken * grad_output[:, :, np.newaxis]).reshape(
            input_shape[:2] + kernel + out)
        add_windows(whole, grad_windows, self.stride, self.dilation)
        return (_unpadded(whole, self.padding, input_shape),)

    def tensor_backward(self, grad_output):
        """``backward`` with Tensor operations (``create_graph=True``): each output's
        gradient added into the input element it took (``_routed_to``)."""
        choice, input_shape, out = self.saved
        offsets = np.unravel_index(choice, self.kernel_size)
        spatial = input_shape[2:]
        positions = []
        for d, (offset, stride, before, dilation) in enumerate(
                zip(offsets, self.stride, self.padding, self.dilation)):
            starts = (np.arange(out[d]) * stride - before).reshape(
                (-1,) + (1,) * (len(out) - d - 1))
            positions.append(starts + offset * dilation)
        flat = np.ravel_multi_index(tuple(positions), spatial)
        return (_routed_to(grad_output, flat, input_shape),)


def _routed_to(grad_output, flat, input_shape):
    """``grad_output`` (N, C, *out) added into an input of ``input_shape`` at the positions
    ``flat`` (each output's input element, flat within its (N, C) plane), by ``index_add``:
    linear, so differentiable again (its derivative gathers at the same positions)."""
    planes, plane = math.prod(input_shape[:2]), math.prod(input_shape[2:])
    flat = flat.reshape(planes, -1) + (np.arange(planes) * plane)[:, np.newaxis]
    constant = type(grad_output)._make
    zeros = constant(np.zeros(planes * plane, grad_output.dtype), None)
    return zeros.index_add(0, constant(flat.reshape(-1), None),
                           grad_output.reshape(-1)).reshape(input_shape)


def _unpadded(array, before, shape):
    return array[(slice(None), slice(None)) + tuple(slice(b, b + size) for b, size in
                                                    zip(before, shape[2:]))]


def _divisors(spatial, kernel, stride, padding, out, count_include_pad):
    """PyTorch's divisor of each output of an average pool without ``divisor_override``: the
    window's size clipped to the padded input (``count_include_pad``) or to the input itself.
    Separable: the product of one count per dim, as an array broadcasting to ``out``."""
    divisor = np.ones((), dtype=np.int64)
    for size, k, s, p, o in zip(spatial, kernel, stride, padding, out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        count = end - start if count_include_pad else \
            np.minimum(end, size) - np.maximum(start, 0)
        divisor = np.multiply.outer(divisor, count)
    return divisor


@opmath
class AvgPool(Op):
    """The average of each window (PyTorch's ``avg_pool1d``/``avg_pool2d``): the window's sum
    divided by ``divisor_override`` when given, else by the number of its elements inside the
    padded input (``count_include_pad=True``, the default) or inside the input itself. Padding
    is zeros on both sides; ``ceil_mode`` as ``MaxPool``. The gradient spreads each output's
    gradient, divided by the same divisor, over its window. Float16 in float32 (``@opmath``);
    int64 sums exactly and divides rounding toward zero, as PyTorch's integer kernel."""

    __slots__ = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                 "divisor_override")
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                 "divisor_override")

    def __init__(self, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def _divisor(self, spatial, out):
        if self.divisor_override is not None:
            return self.divisor_override
        return _divisors(spatial, self.kernel_size, self.stride, self.padding, out,
                         self.count_include_pad)

    def forward(self, input):
        ones = (1,) * len(self.kernel_size)
        out, after = _geometry(input.shape[2:], self.kernel_size, self.stride, self.padding,
                               ones, self.ceil_mode)
        view = windows(padded(input, self.padding, after), self.kernel_size, self.stride, ones,
                       out)
        total = view.sum(axis=tuple(range(2, 2 + len(out))))
        divisor = self._divisor(input.shape[2:], out)
        if self.needs_input_grad:
            self.saved = (input.shape, out, after)
        if input.dtype.kind == "f":
            return total / np.asarray(divisor, dtype=input.dtype)
        quotient = total // divisor  # toward zero, as C's integer division
        return quotient + ((total % divisor != 0) & ((total < 0) != (np.asarray(divisor) < 0)))

    def backward(self, grad_output):
        input_shape, out, after = self.saved
        ones = (1,) * len(out)
        share = grad_output / np.asarray(self._divisor(input_shape[2:], out),
                                         dtype=grad_output.dtype)
        whole = np.zeros(input_shape[:2] + tuple(size + p + a for size, p, a in
                                                 zip(input_shape[2:], self.padding, after)),
                         dtype=grad_output.dtype)
        grad_windows = np.broadcast_to(
            share.reshape(share.shape[:2] + ones + share.shape[2:]),
            input_shape[:2] + tuple(self.kernel_size) + tuple(out))
        add_windows(whole, grad_windows, self.stride, ones)
        return (_unpadded(whole, self.padding, input_shape),)


def adaptive_matrix(size, out, dtype):
    """The ``(out, size)`` averaging matrix of an adaptive pool along one dim: row ``i``
    averages elements ``floor(i size / out)`` to ``ceil((i + 1) size / out)`` (exclusive),
    PyTorch's ``start_index``/``end_index``."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        matrix[i, start:end] = 1 / (end - start)
    return matrix


@opmath_backward  # the forward handles float16 itself, as PyTorch's kernels round
class AdaptiveAvgPool(Op):
    """Average pooling to a fixed ``output_size`` (PyTorch's ``adaptive_avg_pool1d``/``2d``/
    ``3d``): output element ``i`` along a dim averages input elements ``floor(i L / O)`` to
    ``ceil((i + 1) L / O)``. Windows differ in size, but the average over a box is the average
    along each dim in turn, so the op multiplies by one ``(O, L)`` averaging matrix per dim
    (``adaptive_matrix``); the gradient multiplies by their transposes.

    Float16 rounds where PyTorch's CPU kernels do: its 1-D/2-D kernel computes in float32 and
    rounds once; its 3-D kernel sums each window in float16 (rounding after every addition)
    and divides by the window's depth, height and width in turn, rounding after each
    (``adaptive_mean_stepwise``; in float32 the two differ by up to 10% where a window's
    elements cancel), except to one element, which PyTorch computes as a ``mean``. Gradients
    of float16 are computed in float32 (``@opmath_backward``)."""

    __slots__ = ("output_size",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("output_size",)

    def __init__(self, output_size):
        self.output_size = output_size

    def _matrices(self, spatial, dtype):
        return [adaptive_matrix(size, out, dtype) for size, out in zip(spatial, self.output_size)]

    def forward(self, input):
        if self.needs_input_grad:
            self.saved = (input.shape,)
        if input.dtype is HALF:
            if len(self.output_size) == 3 and self.output_size != (1, 1, 1):
                return adaptive_mean_stepwise(input, self.output_size)
            return narrow(self._average(widen(input)))
        return self._average(input)

    def _average(self, input):
        result = input
        for axis, matrix in enumerate(self._matrices(input.shape[2:], input.dtype), 2):
            result = np.moveaxis(np.tensordot(result, matrix, axes=([axis], [1])), -1, axis)
        return np.ascontiguousarray(result)

    def backward(self, grad_output):
        (input_shape,) = self.saved
        grad = grad_output
        for axis, matrix in enumerate(self._matrices(input_shape[2:], grad_output.dtype), 2):
            grad = np.moveaxis(np.tensordot(grad, matrix, axes=([axis], [0])), -1, axis)
        return (grad,)


def adaptive_mean_stepwise(array, output_size):
    """The adaptive average of a float16 ``array`` ``(N, C, *spatial)`` as PyTorch's 3-D CPU
    kernel computes it: each window's elements added one at a time in row-major order, the
    sum rounded to float16 after each addition, then divided by the window's size along each
    dim in turn (first dim first), rounded after each division. Vectorised over windows: the
    windows are read as blocks of the widest window's width (``_adaptive_positions``), and an
    offset beyond a narrower window's own width leaves its sum as it is."""
    spatial = array.shape[2:]
    dims = len(spatial)
    shape = array.shape[:2] + tuple(output_size)
    positions = [_adaptive_positions(size, out) for size, out in zip(spatial, output_size)]
    if 0 in shape or any(p.shape[1] == 0 for p in positions):
        return np.zeros(shape, dtype=array.dtype)
    counts = []
    for axis, (size, out) in enumerate(zip(spatial, output_size)):
        index = np.arange(out)
        count = -((-(index + 1) * size) // out) - (index * size) // out
        counts.append(count.reshape((-1,) + (1,) * (dims - 1 - axis)))
    grid = tuple(p.reshape((1,) * (2 * axis) + p.shape + (1,) * (2 * (dims - axis - 1)))
                 for axis, p in enumerate(positions))
    gathered = array[(slice(None), slice(None)) + grid].astype(FLOAT)
    total = np.zeros(shape, dtype=FLOAT)
    for offset in itertools.product(*(range(p.shape[1]) for p in positions)):
        value = gathered[(slice(None), slice(None)) + tuple(
            item for k in offset for item in (slice(None), k))]
        inside = functools.reduce(np.logical_and, (k < count for k, count in zip(offset, counts)))
        total = np.where(inside, (total + value).astype(HALF), total).astype(FLOAT)
    for count in counts:
        total = (total / count.astype(FLOAT)).astype(HALF).astype(FLOAT)
    return total.astype(HALF)


def _adaptive_positions(size, out):
    """``(out, width)``: the input positions of each adaptive window along one dim
    (``adaptive_matrix``'s bounds), the last one repeated up to the widest window's width, so
    that every window is read as one strided block; in increasing order, so that a scan over
    them meets the elements in PyTorch's order (a repeat changes no maximum and no index)."""
    index = np.arange(out)
    starts, ends = (index * size) // out, -((-(index + 1) * size) // out)
    width = int((ends - starts).max()) if out else 0
    return np.minimum(starts[:, np.newaxis] + np.arange(width), ends[:, np.newaxis] - 1)


def _scan_max(gathered, widths):
    """``(best, choice)``: the maximum of each window of ``gathered`` ``(N, C, O_1, K_1, O_2,
    K_2, ...)`` (window elements along the ``K`` dims, ``widths`` long) and the flat offset
    in the window where it was found, int64, picked as PyTorch's CPU kernels pick: the first
    maximum, but a NaN wherever it is (the last NaN)."""
    floating = gathered.dtype.kind == "f"
    best = choice = None
    for flat, offset in enumerate(itertools.product(*map(range, widths))):
        value = gathered[(slice(None), slice(None)) + tuple(
            item for k in offset for item in (slice(None), k))]
        if best is None:
            best, choice = np.array(value), np.zeros(value.shape, dtype=np.int64)
            continue
        take = np.greater(value, best)
        if floating:
            take |= np.isnan(value)
        np.maximum(choice, np.multiply(take, flat, dtype=np.int64), out=choice)
        np.maximum(best, value, out=best)
    return best, choice


def adaptive_max_windows(array, output_size):
    """``(values, index)`` of an adaptive max pool of ``array`` ``(N, C, *spatial)``: each
    window's maximum and where it is, flat in its ``(N, c)`` plane (int64), picked as
    ``max_windows`` picks (PyTorch's CPU kernel: the first maximum, the last NaN)."""
    spatial = array.shape[2:]
    dims = len(spatial)
    positions = [_adaptive_positions(size, out) for size, out in zip(spatial, output_size)]
    shape = array.shape[:2] + tuple(output_size)
    if 0 in shape or any(p.shape[1] == 0 for p in positions):
        return np.zeros(shape, dtype=array.dtype), np.zeros(shape, dtype=np.int64)
    grid = tuple(p.reshape((1,) * (2 * axis) + p.shape + (1,) * (2 * (dims - axis - 1)))
                 for axis, p in enumerate(positions))
    gathered = array[(slice(None), slice(None)) + grid]  # (N, C, O_1, K_1, O_2, K_2, ...)
    widths = tuple(p.shape[1] for p in positions)
    best, choice = _scan_max(gathered, widths)
    offsets = np.unravel_index(choice, widths)
    index = np.zeros(choice.shape, dtype=np.int64)
    for axis, (offset, size, p) in enumerate(zip(offsets, spatial, positions)):
        rows = np.arange(p.shape[0]).reshape((-1,) + (1,) * (dims - 1 - axis))
        index = index * size + p[rows, offset]
    return best, index


def adaptive_max_pool_indices(array, output_size):
    """``return_indices`` of an adaptive max pool: ``adaptive_max_windows``' index."""
    return adaptive_max_windows(array, output_size)[1]


class AdaptiveMaxPool(Op):
    """Max pooling to a fixed ``output_size`` (PyTorch's ``adaptive_max_pool1d``/``2d``):
    output element ``i`` along a dim of size ``L`` is the maximum of input elements ``floor(i
    L / O)`` to ``ceil((i + 1) L / O)`` (exclusive), picked as PyTorch's CPU kernel picks
    (``adaptive_max_windows``). The gradient of each output goes to the element it took,
    summed where windows share one."""

    __slots__ = ("output_size",)
    arguments = ("output_size",)

    def __init__(self, output_size):
        self.output_size = output_size

    def forward(self, input):
        values, index = adaptive_max_windows(input, self.output_size)
        if self.needs_input_grad:
            self.saved = (index, input.shape)
        return values

    def backward(self, grad_output):
        index, input_shape = self.saved
        return (gradient_at_index(grad_output, index, input_shape),)

    def tensor_backward(self, grad_output):
        """``backward`` with Tensor operations (``create_graph=True``), as ``MaxPool``'s."""
        index, input_shape = self.saved
        return (_routed_to(grad_output, index, input_shape),)


def gradient_at_index(grad_output, index, input_shape, in_order=False):
    """The gradient of a pool that took one element per output: each output's gradient added
    onto the input element ``index`` names (flat in its ``(n, c)`` plane), summed where
    windows share one: by ``np.bincount`` (in float64, rounded once), or with ``in_order``
    one addition at a time in the gradient's dtype, in output order (``np.add.at``, 3-5
    times slower), as PyTorch's loop ``grad_input[index] += grad_output`` rounds."""
    planes, plane = math.prod(input_shape[:2]), math.prod(input_shape[2:])
    flat = index.reshape(planes, math.prod(index.shape[2:])) + \
        (np.arange(planes) * plane)[:, np.newaxis]
    if in_order:
        grad = np.zeros(planes * plane, dtype=grad_output.dtype)
        np.add.at(grad, flat.ravel(), grad_output.ravel())
        return grad.reshape(input_shape)
    grad = np.bincount(flat.ravel(), weights=grad_output.ravel(), minlength=planes * plane)
    return grad.reshape(input_shape).astype(grad_output.dtype, copy=False)


class MaxUnpool(Op):
    """The partial inverse of a max pool (PyTorch's ``max_unpool1d/2d/3d``): ``input`` ``(N,
    C, *in)`` written into zeros ``(N, C, *output_size)`` at ``indices`` (int64, the input's
    shape, each a flat position in its ``(n, c)`` plane: what ``return_indices`` gives).
    Where two inputs name one position, the later one in row-major order is written, as
    PyTorch's CPU loop leaves it. An index outside the plane raises PyTorch's error (the last
    such index, as its loop reports on one thread). The gradient of each input is the output
    gradient at its index; the indices have none."""

    __slots__ = ("output_size",)
    arguments = ("output_size",)

    def __init__(self, output_size):
        self.output_size = output_size

    def _positions(self, indices, planes):
        """Flat positions of ``indices`` in the ``(planes * plane,)`` output, checked."""
        plane = math.prod(self.output_size)
        flat = indices.reshape(planes, math.prod(indices.shape[2:]))
        bad = (flat < 0) | (flat >= plane)
        if bad.any():
            raise RuntimeError(f"Found an invalid max index: {flat.ravel()[bad.ravel()][-1]} "
                               f"(output volumes are of size "
                               f"{'x'.join(map(str, self.output_size))})")
        return (flat + (np.arange(planes) * plane)[:, np.newaxis]).ravel()

    def forward(self, input, indices):
        planes = math.prod(input.shape[:2])
        positions = self._positions(indices, planes)
        out = np.zeros(planes * math.prod(self.output_size), dtype=input.dtype)
        # the last write to a position wins: keep each position's last occurrence
        _, last = np.unique(positions[::-1], return_index=True)
        keep = positions.size - 1 - last
        out[positions[keep]] = input.ravel()[keep]
        if self.needs_input_grad:
            self.saved = (positions, input.shape)
        return out.reshape(input.shape[:2] + tuple(self.output_size))

    def backward(self, grad_output):
        positions, input_shape = self.saved
        return grad_output.ravel()[positions].reshape(input_shape), None


def fractional_starts(samples, size, out, kernel):
    """Where each window of a fractional max pool starts along one dim, PyTorch's
    ``generate_intervals``: ``int((i + u) alpha) - int(u alpha)`` with ``alpha = (size -
    kernel) / (out - 1)`` for ``i < out - 1``, and ``size - kernel`` for the last; ``u`` is
    the plane's sample in [0, 1) (``samples`` ``(N, C)``), and the arithmetic is in its
    dtype, rounding after each step as PyTorch's ``scalar_t`` does. ``(N, C, out)`` int64."""
    dtype = samples.dtype.type
    starts = np.empty(samples.shape + (out,), dtype=np.int64)
    if out > 1:
        alpha = dtype(size - kernel) / dtype(out - 1)
        steps = np.arange(out - 1).astype(samples.dtype)
        starts[..., :-1] = ((steps + samples[..., np.newaxis]) * alpha).astype(np.int64) - \
            (samples * alpha).astype(np.int64)[..., np.newaxis]
    if out > 0:
        starts[..., -1] = size - kernel
    return starts


def fractional_max_windows(array, samples, kernel_size, output_size):
    """``(values, index)`` of a fractional max pool of ``array`` ``(N, C, *spatial)``: the
    windows of ``kernel_size`` start where ``fractional_starts`` puts them, with plane ``(n,
    c)``'s own samples ``samples[n, c]`` (PyTorch's order: width first, then height, for 2-D;
    depth, height, width for 3-D); maxima picked as ``_scan_max`` (PyTorch's kernel: the
    first maximum, the last NaN), ``index`` flat in the plane, int64."""
    batch, channels = array.shape[:2]
    spatial, dims = array.shape[2:], len(kernel_size)
    order = (1, 0) if dims == 2 else (0, 1, 2)
    samples = samples[:batch]
    shape = array.shape[:2] + tuple(output_size)
    if 0 in shape:
        return np.zeros(shape, dtype=array.dtype), np.zeros(shape, dtype=np.int64)
    starts = [fractional_starts(samples[:, :, order[d]], spatial[d], output_size[d],
                                kernel_size[d]) for d in range(dims)]
    if 0 in kernel_size:  # empty windows: PyTorch's initial -inf at the window's start
        return (np.full(shape, -np.inf, dtype=array.dtype),
                _fractional_index(starts, None, spatial, dims))
    grid = [np.arange(batch).reshape((-1,) + (1,) * (2 * dims + 1)),
            np.arange(channels).reshape((-1,) + (1,) * (2 * dims))]
    for d in range(dims):
        position = starts[d][..., np.newaxis] + np.arange(kernel_size[d])  # (N, C, O, K)
        grid.append(position.reshape(position.shape[:2] + (1,) * (2 * d) + position.shape[2:]
                                     + (1,) * (2 * (dims - d - 1))))
    gathered = array[tuple(grid)]  # (N, C, O_1, K_1, O_2, K_2, ...)
    best, choice = _scan_max(gathered, tuple(kernel_size))
    return best, _fractional_index(starts, np.unravel_index(choice, tuple(kernel_size)),
                                   spatial, dims)


def _fractional_index(starts, offsets, spatial, dims):
    index = 0
    for d in range(dims):
        start = starts[d].reshape(starts[d].shape[:2] + (1,) * d + starts[d].shape[2:]
                                  + (1,) * (dims - d - 1))
        index = index * spatial[d] + start + (0 if offsets is None else offsets[d])
    return np.asarray(index, dtype=np.int64)


def fractional_max_pool_indices(array, samples, kernel_size, output_size):
    """``return_indices`` of a fractional max pool: ``fractional_max_windows``' index."""
    return fractional_max_windows(array, samples, kernel_size, output_size)[1]


class FractionalMaxPool(Op):
    """Fractional max pooling (Graham, 2014; PyTorch's ``fractional_max_pool2d``/``3d``):
    ``input`` ``(N, C, *spatial)`` to ``(N, C, *output_size)``, the maximum of windows of
    ``kernel_size`` whose starts step pseudo-randomly by ``floor`` or ``ceil`` of ``(size -
    kernel) / (out - 1)``, drawn from ``samples`` ``(N', C, dims)`` (``N' >= N``, uniform in
    [0, 1)) as ``fractional_max_windows`` says. The gradient of each output goes to the
    element it took, added in output order in the gradient's dtype as PyTorch's loop adds
    (``gradient_at_index(in_order=True)``); ``samples`` has none."""

    __slots__ = ("kernel_size", "output_size")
    arguments = ("kernel_size", "output_size")

    def __init__(self, kernel_size, output_size):
        self.kernel_size, self.output_size = kernel_size, output_size

    def forward(self, input, samples):
        values, index = fractional_max_windows(input, samples, self.kernel_size,
                                               self.output_size)
        if self.needs_input_grad:
            self.saved = (index, input.shape)
        return values

    def backward(self, grad_output):
        index, input_shape = self.saved
        return gradient_at_index(grad_output, index, input_shape, in_order=True), None
