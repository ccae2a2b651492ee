"""``torch.segment_reduce``: reductions over consecutive segments of a dim, the segments given
by their ``lengths`` or ``offsets``. It is ``scatter_reduce`` onto one slot per segment, so
values, gradients (ties of ``max``/``min`` share the gradient evenly, as PyTorch's) and
create_graph are ``scatter_reduce``'s.

Known difference from PyTorch: a NaN in a ``max``/``min``/``prod`` segment gets a NaN gradient
here (``scatter_reduce``'s), PyTorch's segment kernel passes it ``grad_output``."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..shapes import normalize_dim
from .core import Tensor

_REDUCTIONS = {"max": "amax", "min": "amin", "sum": "sum", "mean": "mean", "prod": "prod"}
_EMPTY = {"max": -np.inf, "min": np.inf, "sum": 0.0, "mean": np.nan, "prod": 1.0}


def segment_reduce(data: Tensor, reduce: str, *, lengths: Tensor | None = None,
                   indices: Tensor | None = None, offsets: Tensor | None = None, axis: int = 0,
                   unsafe: bool = False, initial=None) -> Tensor:
    """``reduce`` (``"sum"``, ``"mean"``, ``"max"``, ``"min"``, ``"prod"``) over each segment
    of ``data`` along ``axis``: ``lengths`` (shape ``data.shape[:axis] + (S,)``) gives each
    segment's length, or ``offsets`` (``S + 1`` boundaries, preferred when both are given). The
    result has ``S`` in place of ``axis``. An empty segment holds ``initial`` when given, else
    0 (sum), 1 (prod), -inf (max), inf (min) or NaN (mean); ``initial`` also joins every
    non-empty segment (for ``mean``, added to the sum before dividing by the length).
    ``unsafe`` skips the check that the segments cover the dim (elements outside every segment
    are then left out); ``indices`` is accepted and unused, as in PyTorch."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if not dtypes.is_floating(data._array.dtype):
        raise dtypes.not_implemented("_segment_reduce_cpu", data._array.dtype)
    axis = normalize_dim(axis, data.ndim)
    size = data.shape[axis]
    if offsets is not None:
        bounds = offsets._array.astype(np.int64)
    else:
        if lengths._array.dtype.kind not in "iu":
            raise dtypes.not_implemented("_segment_reduce_lengths_cpu_kernel1",
                                         data._array.dtype)
        if np.any(lengths._array < 0):
            raise RuntimeError("lengths contains negative value!")
        cumulative = np.cumsum(lengths._array.astype(np.int64), axis=-1)
        bounds = np.concatenate([np.zeros(cumulative.shape[:-1] + (1,), np.int64), cumulative],
                                axis=-1)
    rows = bounds.reshape(-1, bounds.shape[-1])
    if not unsafe and np.any(rows[:, -1] - rows[:, 0] != size):
        raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to "
                           "data.size(lengths.dim()-1) when !unsafe.")
    segments = rows.shape[-1] - 1
    # each position's segment; positions outside every segment (possible with unsafe) go to
    # one more slot, dropped at the end
    ids = np.full((rows.shape[0], size), segments, dtype=np.int64)
    for row, row_bounds in zip(ids, rows):
        for segment in range(segments):
            row[row_bounds[segment]:row_bounds[segment + 1]] = segment
    ids = ids.reshape(data.shape[:axis + 1])
    ids = np.broadcast_to(ids.reshape(ids.shape + (1,) * (data.ndim - axis - 1)), data.shape)
    index = Tensor._make(np.ascontiguousarray(ids), None)
    shape = data.shape[:axis] + (segments + 1,) + data.shape[axis + 1:]
    kept = (slice(None),) * axis + (slice(0, segments),)
    start = _EMPTY[reduce] if initial is None else float(initial)
    out = Tensor._make(np.full(shape, start, dtype=data._array.dtype), None)
    if reduce == "mean" and initial is not None:
        # float16 summed and divided in float32, rounded once, as PyTorch's kernel
        half = data._array.dtype == dtypes.float16
        wide, out = (data.float(), out.float()) if half else (data, out)
        total = out.scatter_reduce(axis, index, wide, "sum", include_self=True)
        counts = np.zeros(shape, dtype=total._array.dtype)
        np.add.at(counts, _positions(ids, axis), 1)
        mean = (total / Tensor._make(np.maximum(counts, 1), None))[kept]
        return mean.half() if half else mean
    return out.scatter_reduce(axis, index, data, _REDUCTIONS[reduce],
                              include_self=initial is not None)[kept]


def _positions(ids, axis):
    """The output position of every element of ``data`` (its segment along ``axis``)."""
    grid = list(np.indices(ids.shape, sparse=True))
    grid[axis] = ids
    return tuple(np.broadcast_arrays(*grid))
