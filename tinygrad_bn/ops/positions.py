"""Where elements go: the int64 positions that sort, topk, kthvalue, median, mode, cummax,
cummin and repeat_interleave compute from a tensor's values.

Each is a module-level function of arrays that ``Tensor`` runs as a ``Derived`` op (a jit
capture compares the function by identity and replays it on the next call's data); the values
that go with the positions are then a differentiable ``gather``. Functions that pick one element
per slice along ``dim`` return its index with ``dim`` kept as size 1.
"""

import numpy as np

from .tie_order import mode_index, quickselect_index


def sort_positions(array, dim, descending):
    """The indices that sort ``array`` along ``dim``, a stable sort (ties keep their order),
    largest first when ``descending``; NaN counts as the largest value (last ascending, first
    descending), as in PyTorch. Descending sorts the reversed slice ascending and reads it
    backwards, which keeps ties in order without negating (that wraps unsigned and minimum
    integers and leaves NaN last). A 0-d tensor's only index is 0, itself 0-d."""
    if array.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(array, axis=dim, kind="stable")
    count = array.shape[dim]
    backwards = np.argsort(np.flip(array, dim), axis=dim, kind="stable")
    return (count - 1) - np.flip(backwards, dim)


def topk_positions(array, dim, k, largest):
    """The indices of the ``k`` largest (or smallest) elements along ``dim``, in sorted order."""
    return np.take(sort_positions(array, dim, largest), np.arange(k), axis=dim)


def kth_positions(array, dim, k):
    """The index of each slice's ``k``-th smallest element along ``dim`` (``k`` counts from 1),
    NaN the largest value. Where that value occurs more than once in its slice (NaN equal to
    NaN), the index is the one PyTorch's CPU quickselect picks (``tie_order``); elsewhere it
    is the only one."""
    order = np.argsort(array, axis=dim, kind="stable")
    positions = np.take(order, [k - 1], axis=dim).astype(np.int64, copy=False)
    kth = np.take_along_axis(array, positions, axis=dim)
    same = array == kth
    if array.dtype.kind == "f":
        same |= np.isnan(array) & np.isnan(kth)
    tied = (same.sum(axis=dim, keepdims=True) > 1).reshape(-1)
    if tied.any():
        rows = np.moveaxis(array, dim, -1).reshape(-1, array.shape[dim])
        flat = np.moveaxis(positions, dim, -1).reshape(-1)  # a copy: written back below
        for r in np.nonzero(tied)[0]:
            flat[r] = quickselect_index(rows[r].tolist(), k - 1)
        positions = np.moveaxis(flat.reshape(np.moveaxis(positions, dim, -1).shape), -1, dim)
    return positions


def median_positions(array, dim):
    """The index of each slice's median along ``dim``: the lower middle of a stable sort, or
    the first NaN of a slice that has one."""
    order = np.argsort(array, axis=dim, kind="stable")  # NaNs last, in their original order
    count = array.shape[dim]
    middle = np.full(order.shape[:dim] + (1,) + order.shape[dim + 1:], (count - 1) // 2)
    if array.dtype.kind == "f":
        nans = np.isnan(array).sum(axis=dim, keepdims=True)
        middle = np.where(nans > 0, count - nans, middle)
    return np.take_along_axis(order, middle, axis=dim).astype(np.int64, copy=False)


def nanmedian_positions(array, dim):
    """The index of each slice's ``nanmedian`` along ``dim``: the lower middle of the values
    that are not NaN in a stable sort (NaNs sort last), index 0 of a slice of NaNs only."""
    order = np.argsort(array, axis=dim, kind="stable")
    count = array.shape[dim]
    if array.dtype.kind == "f":
        count = count - np.isnan(array).sum(axis=dim, keepdims=True)
    middle = np.maximum((np.asarray(count) - 1) // 2, 0)
    middle = np.broadcast_to(middle, order.shape[:dim] + (1,) + order.shape[dim + 1:])
    picked = np.take_along_axis(order, middle, axis=dim)
    if array.dtype.kind == "f":
        picked = np.where(count == 0, 0, picked)
    return picked.astype(np.int64, copy=False)


def mode_positions(array, dim):
    """The index of each slice's mode along ``dim``: the most frequent value, the smallest of
    equally frequent ones. PyTorch's CPU kernel sorts the slice with ``std::sort`` and takes
    the last element of the winning run; up to 16 elements that sort is an insertion sort,
    which keeps ties in order (the last occurrence wins), beyond it the order of ties is the
    introsort's, replayed by ``tie_order.mode_index`` (as are slices holding NaN, each NaN
    a value of its own)."""
    rows = np.moveaxis(array, dim, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    has_nan = np.isnan(flat).any(axis=-1) if flat.dtype.kind == "f" else np.zeros(len(flat), bool)
    positions = np.empty(len(flat), dtype=np.int64)
    for r, row in enumerate(flat):
        if not has_nan[r]:
            values, counts = np.unique(row, return_counts=True)
            if len(row) <= 16 or counts.max() == 1:
                reversed_hits = row[::-1] == values[np.argmax(counts)]  # argmax: the smallest
                positions[r] = len(row) - 1 - np.argmax(reversed_hits)
                continue
        positions[r] = mode_index(row.tolist())
    return np.expand_dims(positions.reshape(rows.shape[:-1]), dim)


def cumulative_extremum_positions(array, dim, largest):
    """For each element along ``dim``, where the running maximum (``largest``) or minimum up
    to it was found: a tie moves the index to the later element, and a NaN, once met, stays
    the extremum."""
    pick = np.maximum if largest else np.minimum
    running = pick.accumulate(array, axis=dim)
    is_new = array == running  # the element reached (or tied) the running extremum
    if array.dtype.kind == "f":
        is_new |= np.isnan(array)
    positions = np.arange(array.shape[dim]).reshape((-1,) + (1,) * (array.ndim - dim - 1))
    return np.maximum.accumulate(np.where(is_new, positions, 0), axis=dim).astype(np.int64)


def repeated_positions(counts, size, output_size):
    """``0, 1, ..., size - 1``, each repeated ``counts`` times (one count, or one per
    position): the positions ``repeat_interleave`` picks. PyTorch's errors for a negative count
    and for an ``output_size`` (when not None) other than the total."""
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    index = np.repeat(np.arange(size), counts)
    if output_size is not None and output_size != len(index):
        raise RuntimeError(f"repeat_interleave: output_size ({output_size}) does not match "
                           f"the sum of repeats ({len(index)})")
    return index
