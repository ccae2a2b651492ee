"""Counting values: ``unique``, ``histc`` and ``histogram``, with PyTorch's signatures,
result dtypes and errors.

- ``unique(x)`` returns the distinct values sorted ascending, with ``return_inverse`` (for each
  element of ``x``, the position of its value in the result: ``result[inverse] == x``) and
  ``return_counts``; with ``dim``, the distinct slices along that dim.
- ``histc(x, bins=100, min=0, max=0)`` counts values into ``bins`` equal-width bins over
  ``[min, max]`` (the data's own range when ``min == max``, widened by 1 each side when the data
  is constant); values outside are ignored, the last bin includes ``max``. The result has
  ``x``'s dtype.
- ``histogram(x, bins, range=None, weight=None, density=False)`` returns the named tuple
  ``(hist, bin_edges)``; ``bins`` is a count or a tensor of increasing edges.
"""

import numpy as np

from . import dtypes
from .autograd import graph
from .creation import linspace_values
from .ops import Derived, Unique
from .printing import return_types
from .shapes import normalize_dim
from .tensor import Tensor


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (or slices along ``dim``) of ``input``, sorted; see the module
    docstring for ``return_inverse`` and ``return_counts``. Returns a tensor, or a tuple
    ``(output, inverse?, counts?)`` when either is asked for."""
    graph.untraceable("unique returns a shape that depends on the tensor's values")
    array = input._array
    axis = None if dim is None else normalize_dim(dim, array.ndim)
    output = Unique.apply(input, dim=axis)
    if not (return_inverse or return_counts):
        return output
    _, inverse, counts = np.unique(array, return_inverse=True, return_counts=True, axis=axis)
    results = [output]
    if return_inverse:
        shape = array.shape if axis is None else (array.shape[axis],)
        results.append(Tensor._make(inverse.reshape(shape).astype(np.int64), None))
    if return_counts:
        results.append(Tensor._make(counts.astype(np.int64), None))
    return tuple(results)


def _check_bins(bins):
    if bins <= 0:
        raise RuntimeError(
            f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0"
        )


def histc(input, bins=100, min=0, max=0):
    """Counts of ``input``'s values in ``bins`` equal-width bins over ``[min, max]`` (see the
    module docstring); the result has ``input``'s dtype and requires no grad."""
    if not dtypes.is_floating(input._array.dtype):
        raise dtypes.not_implemented("histogram_cpu", input._array.dtype)
    _check_bins(bins)
    low, high = float(min), float(max)
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    return Derived.apply(input, function=_histc, keywords={"bins": bins, "low": low, "high": high})


def _histc(array, bins, low, high):
    """``histc``'s counts, in ``array``'s dtype, as PyTorch's CPU kernel finds them: the range
    taken from the data when ``low == high`` (widened by 1 each way if still equal), the edges
    ``linspace(low, high, bins + 1)`` in ``array``'s dtype, and each element in
    ``[edges[0], edges[-1]]`` (NaN is not) counted in bin ``trunc((x - edges[0]) * bins /
    (edges[-1] - edges[0]))``, each operation rounded to the dtype, the last bin taking its
    right edge. So an element next to an edge may land in the neighbouring bin, as in PyTorch."""
    if low == high and array.size:
        low, high = float(array.min()), float(array.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low}, {high}] is not finite")
    if low == high:
        low, high = low - 1, high + 1
    edges = linspace_values(low, high, bins + 1, array.dtype)
    left, right = edges[0], edges[-1]
    values = array.reshape(-1)
    values = values[(values >= left) & (values <= right)]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        scaled = (values - left) * array.dtype.type(bins) / (right - left)
        # a range that collapses in the dtype, or a product that overflows, gives nan or inf,
        # which PyTorch's conversion to an integer sends to the first bin
        positions = np.nan_to_num(np.trunc(scaled), nan=0.0, posinf=0.0, neginf=0.0)
    positions = np.clip(positions, 0, bins - 1).astype(np.int64)
    return np.bincount(positions, minlength=bins).astype(array.dtype)


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)`` of ``input``'s values: ``bins`` equal-width bins over ``range``
    (default: the data's range) or the given edges; ``weight`` weighs each element,
    ``density`` normalises the histogram to integrate to 1."""
    if not dtypes.is_floating(input._array.dtype):
        raise dtypes.not_implemented("histogramdd", input._array.dtype)
    inputs = [input]
    if isinstance(bins, Tensor):
        shape = bins._array.shape
        if len(shape) != 1 or bins._array.size < 2:
            raise RuntimeError(
                "torch.histogram(): bins tensor should have one dimension and at least 2 "
                f"elements, but got {len(shape)} dimension(s) and {bins._array.size} element(s)"
            )
        inputs.append(bins)
        bins = None
    else:
        _check_bins(bins)
    if weight is not None:
        if weight._array.shape != input._array.shape:
            raise RuntimeError(
                "torch.histogram(): if weight tensor is provided it should have the same shape "
                f"as the input tensor, got {tuple(weight.shape)} and {tuple(input.shape)}"
            )
        inputs.append(weight)
    keywords = {"bins": bins, "range": None if range is None else tuple(range),
                "density": density, "weighted": weight is not None}
    return return_types.histogram(
        Derived.apply(*inputs, function=_histogram, keywords={**keywords, "part": 0}),
        Derived.apply(*inputs, function=_histogram, keywords={**keywords, "part": 1}))


def _histogram_edges(values, bins, range):
    """PyTorch's ``bins + 1`` equal-width edges: ``linspace(low, high, bins + 1)`` in
    ``values``' dtype over ``range`` or the data's (0 to 1 without data), widened by 0.5 each
    way when ``low == high``."""
    if range is not None:
        low, high = range
    elif values.size:
        low, high = float(values.min()), float(values.max())
    else:
        low, high = 0.0, 1.0
    if low > high:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                           f"{low:g} max {high:g} for dimension 0")
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"torch.histogramdd: dimension 0's range [{low:g}, {high:g}] is not "
                           "finite")
    if low == high:
        low, high = low - 0.5, high + 0.5
    return linspace_values(low, high, bins + 1, values.dtype)


def _histogram(values, *given, bins, range, density, weighted, part):
    """``histogram``'s counts (``part`` 0) or bin edges (1), in ``values``' dtype. ``given``:
    the edges when ``bins`` is None, then the weights when ``weighted``. The counts are added
    up in ``values``' dtype, one element after the other, as PyTorch's kernel does."""
    weights = given[-1].reshape(-1) if weighted else None
    if bins is None:
        bins = given[0]
        if np.any(np.diff(bins) < 0):
            raise RuntimeError("torch.histogram(): bin edges must be increasing")
    values = values.reshape(-1)
    if isinstance(bins, int):
        edges = _histogram_edges(values, bins, range)
    else:
        edges = bins
    if part == 1:  # the edges alone, without counting
        return edges.astype(values.dtype)
    # PyTorch's kernel adds each weight (or 1) into its bin one by one, in the input's dtype
    index = np.searchsorted(edges, values, side="right") - 1
    index[values == edges[-1]] = edges.size - 2  # the last bin includes its right edge
    counted = (index >= 0) & (index < edges.size - 1)
    hist = np.zeros(edges.size - 1, dtype=values.dtype)
    np.add.at(hist, index[counted], 1 if weights is None else weights[counted])
    if density:  # divided by the total, then by each bin's width, as PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            hist /= hist.sum()
            hist /= np.diff(edges).astype(values.dtype)
    return hist
