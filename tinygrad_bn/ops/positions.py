"""Where elements go: the int64 positions that sort, topk, kthvalue, median, mode, cummax,
cummin and repeat_interleave compute from a tensor's values.

Each is a module-level function of arrays that ``Tensor`` runs as a ``Derived`` op (a jit
capture compares the function by identity and replays it on the next call's data); the values
that go with the positions are then a differentiable ``gather``. Functions that pick one element
per slice along ``dim`` return its index with ``dim`` kept as size 1.
"""

import numpy as np


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
    """The index of each slice's ``k``-th smallest element along ``dim`` (``k`` counts from 1):
    the one a stable sort puts ``k``-th; NaN counts as the largest value."""
    order = np.argsort(array, axis=dim, kind="stable")
    return np.take(order, [k - 1], axis=dim).astype(np.int64, copy=False)


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


def mode_positions(array, dim):
    """The index of each slice's mode along ``dim``: the most frequent value, the smallest of
    equally frequent ones, at its last occurrence (PyTorch's choice)."""
    rows = np.moveaxis(array, dim, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    positions = np.empty(len(flat), dtype=np.int64)
    for r, row in enumerate(flat):
        values, counts = np.unique(row, return_counts=True)
        reversed_hits = row[::-1] == values[np.argmax(counts)]  # argmax: the first, smallest
        positions[r] = len(row) - 1 - np.argmax(reversed_hits)
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
