"""Counting values: ``unique``, ``histc``, ``histogram`` and finding places in sorted
sequences (``searchsorted``, ``bucketize``), with PyTorch's signatures, result dtypes and
errors. (``bincount`` is a Tensor method: see ``tensor/reduction.py``.)

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

import math

import numpy as np

from . import dtypes
from .autograd import graph
from .creation import linspace_values, tensor
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


def _check_bins(bins, dim=0):
    if bins <= 0:
        raise RuntimeError(
            f"torch.histogram(): bins must be > 0, but got {bins} for dimension {dim}"
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


def _histogram_edges(values, bins, range, dim=0):
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
                           f"{low:g} max {high:g} for dimension {dim}")
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{low:g}, {high:g}] is "
                           "not finite")
    if low == high:
        low, high = low - 0.5, high + 0.5
    return linspace_values(low, high, bins + 1, values.dtype)


def _bin_index(values, edges):
    """Each value's bin among ``edges`` and whether it falls in one, as PyTorch's kernel finds
    them: C++'s ``upper_bound`` (a binary search, so edges that are not increasing, which
    ``histogramdd`` accepts, give PyTorch's bins too) minus one, the last edge belonging to the
    last bin, and only values within ``[edges[0], edges[-1]]`` counted."""
    first = np.zeros(values.shape, dtype=np.int64)
    count = np.full(values.shape, edges.size, dtype=np.int64)
    while np.any(count > 0):
        step = count // 2
        probe = np.minimum(first + step, edges.size - 1)
        right = (count > 0) & ~(values < edges[probe])
        first = np.where(right, probe + 1, first)
        count = np.where(right, count - step - 1, np.where(count > 0, step, 0))
    index = first - 1
    index[index == edges.size - 1] = edges.size - 2
    return index, (values >= edges[0]) & (values <= edges[-1])


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
    index, counted = _bin_index(values, edges)
    hist = np.zeros(edges.size - 1, dtype=values.dtype)
    np.add.at(hist, index[counted], 1 if weights is None else weights[counted])
    if density:  # divided by the total, then by each bin's width, as PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            hist /= hist.sum()
            hist /= np.diff(edges).astype(values.dtype)
    return hist


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """The ``D``-dimensional histogram of the points ``input`` ``(..., D)`` (the last dim holds
    each point's coordinates): ``(hist, bin_edges)`` with ``hist`` of shape ``(bins_0, ...,
    bins_{D-1})`` and one tensor of edges per dimension. ``bins`` is a count for every
    dimension, a count per dimension, or a tensor of increasing edges per dimension; ``range``
    ``[min_0, max_0, min_1, max_1, ...]``; ``weight`` one per point; ``density`` normalises to
    integrate to 1. Each dimension is binned as ``histogram`` bins (its edges, its last bin
    including the right edge); no gradient."""
    if not dtypes.is_floating(input._array.dtype):
        raise dtypes.not_implemented("histogramdd", input._array.dtype)
    if input.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    dims = input.shape[-1]
    points = input._array.reshape(-1, dims)
    if isinstance(bins, int):
        bins = [bins] * dims
    if len(bins) != dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.")
    if range is not None and len(range) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should "
                           f"have {2 * dims} elements, but got {len(range)}")
    if weight is not None and weight._array.shape != input._array.shape[:-1]:
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided it should have the same shape as "
            "the input tensor excluding its innermost dimension, but got input with shape "
            f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    edges = []
    for dim, count in enumerate(bins):
        values = points[:, dim]
        if isinstance(count, Tensor):
            if count._array.dtype is not values.dtype:
                raise RuntimeError(
                    f"torch.histogramdd: input tensor and bins tensors should have the same "
                    f"dtype, but got input with dtype {dtypes.cpp_type_name(values.dtype)} and "
                    f"bins for dimension {dim} with dtype "
                    f"{dtypes.cpp_type_name(count._array.dtype)}")
            edges.append(count._array)
            continue
        _check_bins(count, dim)
        pair = None if range is None else tuple(range[2 * dim:2 * dim + 2])
        edges.append(_histogram_edges(values, count, pair, dim))
    counted = np.ones(points.shape[0], dtype=bool)
    indices = []
    for dim, dim_edges in enumerate(edges):
        index, inside = _bin_index(points[:, dim], dim_edges)
        indices.append(index)
        counted &= inside
    hist = np.zeros([e.size - 1 for e in edges], dtype=points.dtype)
    weights = 1 if weight is None else weight._array.reshape(-1)[counted]
    np.add.at(hist, tuple(index[counted] for index in indices), weights)
    if density:  # divided by the total, then by each bin's volume, as PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            hist /= hist.sum()
            for dim, dim_edges in enumerate(edges):
                shape = [1] * dims
                shape[dim] = -1
                hist /= np.diff(dim_edges).astype(points.dtype).reshape(shape)
    return return_types.histogramdd(Tensor._make(hist, None),
                                    tuple(Tensor._make(e.astype(points.dtype), None)
                                          for e in edges))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """For each value of ``input`` (a tensor or a number), the position in
    ``sorted_sequence`` (ascending along its last dim) where it would be inserted to keep the
    order: before equal values (``side="left"``, the default) or after them (``right=True``
    or ``side="right"``). A sequence of several dims is searched row by row, its leading dims
    matching ``input``'s. ``sorter`` (int64 positions that sort an unsorted sequence) as
    NumPy's. int64 results, int32 with ``out_int32``; no gradient."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError("torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    values = input if isinstance(input, Tensor) else tensor(input, dtype=sorted_sequence.dtype)
    boundaries = sorted_sequence._array.shape
    if len(boundaries) > 1 and (values.ndim != len(boundaries)
                                or values.shape[:-1] != boundaries[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(boundaries)} and input value tensor {list(values.shape)}")
    inputs = [sorted_sequence, values]
    if sorter is not None:
        if sorter._array.dtype is not dtypes.int64:
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but "
                               f"got dtype {dtypes.scalar_type_name(sorter._array.dtype)}")
        if sorter._array.shape != boundaries:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(boundaries)}and got sorter tensor "
                f"{list(sorter._array.shape)}")
        inputs.append(sorter)
    return Derived.apply(*inputs, function=_searchsorted, keywords={
        "side": "right" if right else "left",
        "dtype": np.int32 if out_int32 else np.int64})


def _searchsorted(sequence, values, sorter=None, *, side, dtype):
    """``np.searchsorted`` along the last dim: one call for a 1-D sequence, one per row of a
    sequence of several dims."""
    if sorter is not None:
        sequence = np.take_along_axis(sequence, sorter, axis=-1)
    if sequence.ndim <= 1:
        return np.searchsorted(sequence, values, side=side).astype(dtype)
    positions = np.empty(values.shape, dtype=dtype)
    count = math.prod(values.shape[:-1])
    rows = sequence.reshape(count, sequence.shape[-1])
    found = positions.reshape(count, values.shape[-1])
    for row, (boundary, value) in enumerate(zip(rows, values.reshape(found.shape))):
        found[row] = np.searchsorted(boundary, value, side=side)
    return positions


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The index of the bucket each value of ``input`` falls in, ``boundaries`` a 1-D
    ascending tensor: ``searchsorted(boundaries, input, right=right)``; with ``right=False``
    a value equal to a boundary goes to the bucket that boundary opens, as PyTorch's."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
