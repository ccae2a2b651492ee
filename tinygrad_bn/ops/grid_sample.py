"""``GridSample``: values of an image (or volume) read at the real-valued positions a grid
names, interpolated between pixels; the sampler of spatial transformer networks
(``F.grid_sample``). One node with a closed-form backward for the input and the grid."""

import numpy as np

from ..autograd.graph import Op

# PyTorch's cubic convolution constant (Keys' kernel with a = -0.75, as OpenCV's).
CUBIC_A = -0.75


class GridSample(Op):
    """``out[n, c, *p] = sum over taps of weight(tap) * input[n, c, *position(tap)]``, for each
    output position ``p`` with source coordinates ``grid[n, *p]`` (x first: width, then height,
    then depth), in ``[-1, 1]`` from the first pixel to the last.

    Each coordinate is first unnormalised to a pixel index: ``(g + 1) / 2 * (size - 1)`` with
    ``align_corners`` (-1 and 1 are the centres of the corner pixels), ``((g + 1) * size - 1) /
    2`` without (they are the corner pixels' outer edges). Then, for ``bilinear`` and
    ``nearest``, the padding mode: ``zeros`` leaves it (taps outside the image read 0),
    ``border`` clips it to ``[0, size - 1]``, ``reflection`` reflects it at the borders (the
    pixel centres with ``align_corners``, the edges without) and clips it. ``bilinear`` has 2
    taps per dim (``floor(x)`` with weight ``1 - t`` and ``floor(x) + 1`` with ``t``, ``t = x
    - floor(x)``), ``nearest`` 1 (``x`` rounded half to even, as ``nearbyint``), ``bicubic`` 4
    (``floor(x) - 1 .. floor(x) + 2`` with Keys' cubic weights, a = -0.75) whose positions are
    each padded as above (PyTorch's ``get_value_bounded``). The taps of each dim multiply.

    Backward: the input gets ``weight * grad_output`` added at each tap's position (one
    ``np.bincount`` over all taps); the grid gets, per coordinate, the sum over taps of the
    weight's derivative times the value read times ``grad_output``, times the derivative of
    the unnormalisation and (``bilinear``) of the padding. ``nearest`` gives the grid zero
    gradient; ``bicubic`` leaves out the padding's derivative, as PyTorch does.
    """

    __slots__ = ("mode", "padding_mode", "align_corners", "taps", "input_shape", "dtype")
    arguments = ("mode", "padding_mode", "align_corners")

    def __init__(self, mode="bilinear", padding_mode="zeros", align_corners=False):
        self.mode, self.padding_mode, self.align_corners = mode, padding_mode, align_corners

    def forward(self, input, grid):
        batch, channels, *sizes = input.shape
        points = int(np.prod(grid.shape[1:-1]))
        coordinates = grid.reshape(batch, points, len(sizes))
        dtype = input.dtype
        # Per spatial dim (depth, height, width order, as the input's): the taps' positions,
        # weights, the weights' derivatives with respect to the grid coordinate, validity.
        per_dim = [self._taps(coordinates[..., len(sizes) - 1 - k], size, dtype)
                   for k, size in enumerate(sizes)]
        flat = input.reshape(batch, channels, -1)
        keep_values = any(self.needs_input_grad[1:])  # (the tuple is short without any grad)
        out = np.zeros((batch, channels, points), dtype=dtype)
        taps = []
        for combination in np.ndindex(*(len(dim_taps) for dim_taps in per_dim)):
            chosen = [per_dim[k][i] for k, i in enumerate(combination)]
            position = np.zeros((batch, points), dtype=np.int64)
            valid = np.ones((batch, points), dtype=bool)
            weight = np.ones((batch, points), dtype=dtype)
            for (index, tap_weight, _), size in zip(chosen, sizes):
                valid &= (index >= 0) & (index < size)
                position = position * size + index
                weight = weight * tap_weight
            position = np.where(valid, position, 0)
            values = np.take_along_axis(flat, position[:, np.newaxis, :], axis=2)
            values = np.where(valid[:, np.newaxis, :], values, 0)
            out += weight[:, np.newaxis, :] * values
            # the values read are kept for the grid's gradient (saves reading them again)
            taps.append((chosen, position, valid, weight,
                         values if keep_values else None))
        self.taps, self.input_shape, self.dtype = taps, input.shape, dtype
        self.saved = ()  # the taps hold what backward needs
        return out.reshape(batch, channels, *grid.shape[1:-1])

    def _taps(self, coordinate, size, dtype):
        """The 1-D taps of one dim: ``[(index, weight, d weight / d grid coordinate)]``."""
        coordinate = coordinate.astype(dtype, copy=False)
        if self.align_corners:
            scale = dtype.type((size - 1) / 2)
            source = (coordinate + 1) * scale
        else:
            scale = dtype.type(size / 2)
            source = ((coordinate + 1) * size - 1) / 2
        source = source.astype(dtype, copy=False)
        if self.mode == "bicubic":
            start = np.floor(source)
            t = source - start
            weights, derivatives = _cubic_weights(t)
            return [(self._pad_index(start + offset, size), weight, derivative * scale)
                    for offset, weight, derivative in zip((-1, 0, 1, 2), weights, derivatives)]
        source, padding_slope = self._pad(source, size)
        if self.mode == "nearest":
            zero = np.zeros_like(source)
            return [(_as_index(np.rint(source)), np.ones_like(source), zero)]
        start = np.floor(source)
        t = source - start
        slope = padding_slope * scale
        index = _as_index(start)
        return [(index, 1 - t, -slope), (index + 1, t, slope)]

    def _pad(self, source, size):
        """The padding mode applied to the unnormalised coordinate ``source``, and its
        derivative (PyTorch's ``compute_coordinates_set_grad``)."""
        if self.padding_mode == "zeros":
            return source, np.ones_like(source)
        slope = np.ones_like(source)
        if self.padding_mode == "reflection":
            if self.align_corners:
                source, slope = _reflect(source, 0, 2 * (size - 1))
            else:
                source, slope = _reflect(source, -1, 2 * size - 1)
        inside = (source > 0) & (source < size - 1)
        return np.clip(source, 0, size - 1).astype(source.dtype), np.where(inside, slope, 0)

    def _pad_index(self, position, size):
        """A bicubic tap's position after the padding mode (PyTorch's ``get_value_bounded``)."""
        padded, _ = self._pad(position, size)
        return _as_index(padded)

    def backward(self, grad_output):
        batch, channels, *sizes = self.input_shape
        dims = len(sizes)
        grad_flat = grad_output.reshape(batch, channels, -1)
        points = grad_flat.shape[2]
        grad_input = grad_grid = None
        if self.needs_input_grad[0]:
            plane = int(np.prod(sizes))
            base = (np.arange(batch * channels) * plane).reshape(batch, channels, 1)
            positions = [base + position[:, np.newaxis, :] for _, position, *_ in self.taps]
            weights = [np.where(valid, weight, 0)[:, np.newaxis, :] * grad_flat
                       for _, _, valid, weight, _ in self.taps]
            grad_input = np.bincount(np.concatenate([p.ravel() for p in positions]),
                                     weights=np.concatenate([w.ravel() for w in weights]),
                                     minlength=batch * channels * plane)
            grad_input = grad_input.astype(self.dtype).reshape(self.input_shape)
        if self.needs_input_grad[1]:
            grad_grid = np.zeros((batch, points, dims), dtype=self.dtype)
            for chosen, _, valid, _, values in self.taps:
                read = np.where(valid, (values * grad_flat).sum(axis=1), 0)
                for k in range(dims):
                    factor = chosen[k][2]
                    for j in range(dims):
                        if j != k:
                            factor = factor * chosen[j][1]
                    grad_grid[..., dims - 1 - k] += read * factor
            grad_grid = grad_grid.reshape(batch, *grad_output.shape[2:], dims)
        return grad_input, grad_grid


def _as_index(position):
    """Float positions as int64 indices; far-off ones (and NaN) become -1, read as 0."""
    finite = np.isfinite(position) & (np.abs(position) < 2 ** 62)
    return np.where(finite, position, -1).astype(np.int64)


def _reflect(source, twice_low, twice_high):
    """``source`` reflected into ``[twice_low / 2, twice_high / 2]`` and the derivative (+-1),
    PyTorch's ``reflect_coordinates_set_grad``."""
    if twice_low == twice_high:
        return np.zeros_like(source), np.zeros_like(source)
    low = twice_low / 2
    span = (twice_high - twice_low) / 2
    shifted = source - low
    sign = np.where(shifted < 0, -1, 1).astype(source.dtype)
    shifted = np.abs(shifted)
    extra = np.fmod(shifted, span)
    flips = np.floor(shifted / span)
    even = flips % 2 == 0
    reflected = np.where(even, extra + low, span - extra + low).astype(source.dtype)
    return reflected, np.where(even, sign, -sign)


def _cubic_weights(t):
    """Keys' cubic convolution weights of the taps at -1, 0, 1, 2 for the fraction ``t``, and
    their derivatives with respect to ``t``."""
    a = CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    def near_slope(x):
        return (3 * (a + 2) * x - 2 * (a + 3)) * x

    def far_slope(x):
        return (3 * a * x - 10 * a) * x + 8 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    derivatives = (far_slope(t + 1), near_slope(t), -near_slope(1 - t), -far_slope(2 - t))
    return ([w.astype(t.dtype, copy=False) for w in weights],
            [d.astype(t.dtype, copy=False) for d in derivatives])
