"""Strided views and placing values by position: ``unfold`` (sliding windows), ``as_strided``,
``storage_offset``, ``take``/``put``, ``index_put``, ``masked_scatter``, ``index_reduce``, the
``*_scatter`` functions (``select_scatter``, ``slice_scatter``, ``diagonal_scatter``: the
out-of-place form of writing into a view), ``fill_diagonal_``, ``diag_embed``/``diagflat``,
``fliplr``/``flipud``, and the split helpers PyTorch keeps (``split_with_sizes``, ``unsafe_*``,
``narrow_copy``, ``sum_to_size``).

Most are compositions of existing differentiable ops (a ``clone`` written through a view, a
``scatter_reduce``, a flat ``GetItem``), so their gradients are those ops' own; the strided views
and the accumulating write are ops of ``ops/strided.py``."""

from __future__ import annotations

# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int

import warnings
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..dtypes import Number
from ..ops.strided import AsStrided, IndexPutAccumulate, Unfold, storage_offset
from ..shapes import normalize_dim
from ..warn_once import warn_always
from .arguments import _tensor_argument
from .core import Tensor
from .indexing import _index
from .shape import broadcast_tensors


def _sizes(size):
    return tuple(int(s) for s in size)


_WARNED = []  # index_reduce's beta warning, given once


def _scatter_shape_check(src, slice_shape):
    if tuple(src.shape) != tuple(slice_shape):
        raise RuntimeError("expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(slice_shape)}")


def _written_through(tensor, view, src):
    """A copy of ``tensor`` with ``view(copy)`` replaced by ``src``: the out-of-place form of
    an in-place write through a view, differentiable in both (the write's own gradients)."""
    out = tensor.clone()
    view(out).copy_(src)
    return out


class ScatteringMethods:
    """The strided-view and placing methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    # ------------------------------------------------------------------ strided views

    def unfold(self, dimension: _int, size: _int, step: _int) -> Tensor:
        """Every slice of ``size`` elements along ``dimension``, ``step`` apart, as a view:
        ``dimension`` becomes the window count ``(n - size) // step + 1`` and the window a new
        last dim (``x.unfold(0, 2, 1)`` of ``[1, 2, 3]`` is ``[[1, 2], [2, 3]]``). Windows that
        overlap share memory; the gradient adds back at every window an element is in."""
        d = normalize_dim(dimension, max(self.ndim, 1))
        length = self.shape[d] if self.ndim else 1
        if size > length:
            raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size "
                               f"is {size}")
        if size < 0:
            raise RuntimeError(f"size is {size} but must be >= 0")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        return Unfold.apply(self, dim=d, size=int(size), step=int(step))

    def storage_offset(self) -> _int:
        """The position of this tensor's first element in its storage (its base's memory, for
        a view; 0 for a tensor owning its memory)."""
        if self._base is None or self._array.size == 0:
            return 0
        return int(storage_offset(self._base._array, self._array))

    def as_strided(self, size: Sequence[_int], stride: Sequence[_int],
                   storage_offset: _int | None = None) -> Tensor:
        """The view of this tensor's storage (its base's memory, for a view) with ``size`` and
        element strides ``stride``, starting at ``storage_offset`` (default: this tensor's).
        Element ``i`` is storage position ``storage_offset + sum(i_k * stride_k)``; positions
        read more than once get the sum of their gradients, which flow to this tensor's own
        elements (PyTorch's storage of a base that is not C-contiguous keeps its own order;
        here such a storage is read in C order)."""
        size, stride = _sizes(size), _sizes(stride)
        if len(size) != len(stride):
            raise RuntimeError("mismatch in length of strides and shape")
        if any(s < 0 for s in stride):
            raise RuntimeError("as_strided: Negative strides are not supported at the moment, "
                               f"got strides: {list(stride)}")
        offset = self.storage_offset() if storage_offset is None else int(storage_offset)
        if offset < 0:
            raise RuntimeError(f"Tensor: invalid storage offset {offset}")
        storage = () if self._base is None else (self._base,)
        return AsStrided.apply(self, *storage, size=size, stride=stride, offset=offset)

    def as_strided_(self, size: Sequence[_int], stride: Sequence[_int],
                    storage_offset: _int | None = None) -> Tensor:
        """``as_strided`` in place: this tensor becomes that view of its storage."""
        return self._view_in_place(Tensor.as_strided, size, stride, storage_offset)

    # ------------------------------------------------------------------ flat positions

    def take(self, index: Tensor) -> Tensor:
        """The elements at the flat (C-order) positions ``index`` (negative counts from the
        end), in ``index``'s shape; the gradient adds back at those positions."""
        index = _tensor_argument(index, "take", "index", 2)
        if index._array.dtype is not dtypes.int64:
            raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                               f"{dtypes.scalar_type_name(index.dtype)}")
        _check_flat_positions(index._array, self._array.size)
        return self.reshape(-1)[index]

    def put(self, index: Tensor, source: Tensor, accumulate: _bool = False) -> Tensor:
        """A copy with ``source``'s elements written (added, with ``accumulate``) at the flat
        positions ``index``; ``index`` and ``source`` hold as many elements."""
        index = _tensor_argument(index, "put", "index", 2)
        source = _tensor_argument(source, "put", "source", 3)
        if index._array.dtype is not dtypes.int64:
            raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                               f"{dtypes.scalar_type_name(index.dtype)}")
        if self._array.dtype is not source._array.dtype:
            raise RuntimeError(f"put_(): self and source expected to have the same dtype, but "
                               f"got self.dtype = {dtypes.scalar_type_name(self.dtype)} and "
                               f"source.dtype = {dtypes.scalar_type_name(source.dtype)}")
        if index._array.size != source._array.size:
            raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                               f"elements, but got source.numel() = {source._array.size}, "
                               f"index.numel() = {index._array.size}")
        _check_flat_positions(index._array, self._array.size)
        flat = self.reshape(-1).index_put((index.reshape(-1),), source.reshape(-1), accumulate)
        return flat.reshape(self.shape)

    def put_(self, index: Tensor, source: Tensor, accumulate: _bool = False) -> Tensor:
        """In-place ``put``."""
        return self._write(Tensor.put, index, source, accumulate)

    # ------------------------------------------------------------------ indexed writes

    def index_put(self, indices: Sequence[Tensor | None], values: Tensor,
                  accumulate: _bool = False) -> Tensor:
        """A copy with ``self[indices] = values`` (``values`` broadcast to the indexed shape);
        with ``accumulate`` the values are added instead, every repeat of a position adding.
        ``indices`` is a tuple or list of index tensors (``None`` for a whole dim)."""
        if not isinstance(indices, (tuple, list)):
            raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of "
                            f"Tensors, not {type(indices).__name__}")
        values = _tensor_argument(values, "index_put", "values", 2)
        if len(indices) > max(self.ndim, 1):
            raise IndexError(f"too many indices for tensor of dimension {self.ndim} (got "
                             f"{len(indices)})")
        if values._array.dtype is not self._array.dtype:
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{dtypes.scalar_type_name(self.dtype)} for the destination and "
                               f"{dtypes.scalar_type_name(values.dtype)} for the source.")
        index = tuple(slice(None) if i is None else i for i in indices)
        if not accumulate:
            out = self.clone()
            out[index] = values
            return out
        template, tensors = _index(index)
        try:
            return IndexPutAccumulate.apply(self, values, *tensors, index=template)
        except IndexError as error:
            raise IndexError(str(error)) from None

    def index_put_(self, indices: Sequence[Tensor | None], values: Tensor,
                   accumulate: _bool = False) -> Tensor:
        """In-place ``index_put``."""
        return self._write(Tensor.index_put, indices, values, accumulate)

    def masked_scatter(self, mask: Tensor, source: Tensor) -> Tensor:
        """A copy with the positions where ``mask`` (bool, broadcast to this shape) is True
        filled, in C order, by the first elements of ``source``."""
        mask = _tensor_argument(mask, "masked_scatter", "mask", 1)
        source = _tensor_argument(source, "masked_scatter", "source", 2)
        if mask._array.dtype is not dtypes.bool:
            raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with "
                               f"dtype {dtypes.scalar_type_name(mask.dtype)}")
        if source._array.dtype is not self._array.dtype:
            raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes "
                               f"but got{dtypes.scalar_type_name(self.dtype)} and "
                               f"{dtypes.scalar_type_name(source.dtype)}")
        target, mask = broadcast_tensors(self, mask)
        count = int(mask._array.sum())
        if count > source._array.size:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        out = target.clone()
        out[mask] = source.reshape(-1)[:count]
        return out

    def masked_scatter_(self, mask: Tensor, source: Tensor) -> Tensor:
        """In-place ``masked_scatter`` (``mask`` broadcasts to this tensor's shape)."""
        return self._write(Tensor.masked_scatter, mask, source)

    def index_reduce(self, dim: _int, index: Tensor, source: Tensor, reduce: str, *,
                     include_self: _bool = True) -> Tensor:
        """A copy with slice ``index[i]`` along ``dim`` reduced with ``source``'s slice ``i``:
        ``reduce`` is ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``; without
        ``include_self`` a slice that is reduced into forgets its own values. The
        ``scatter_reduce`` of ``index`` spread over ``source``'s shape, so its gradients."""
        index = _tensor_argument(index, "index_reduce", "index", 2)
        source = _tensor_argument(source, "index_reduce", "source", 3)
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                               f"amin but got {reduce}.")
        d = normalize_dim(dim, max(self.ndim, 1))
        self._check_index_slices("index_reduce_", d, index, source)
        if not _WARNED or warn_always():  # PyTorch's TORCH_WARN_ONCE: once per process
            _WARNED.append(True)
            warnings.warn("index_reduce() is in beta and the API may change at any time.",
                          UserWarning, stacklevel=2)
        if self.ndim == 0:
            spread = index.reshape(())
        else:
            shape = [1] * source.ndim
            shape[d] = -1
            spread = index.reshape(shape).expand_as(source)
        return self.scatter_reduce(d, spread, source, reduce, include_self=include_self)

    def index_reduce_(self, dim: _int, index: Tensor, source: Tensor, reduce: str, *,
                      include_self: _bool = True) -> Tensor:
        """In-place ``index_reduce``."""
        return self._write(Tensor.index_reduce, dim, index, source, reduce,
                           include_self=include_self)

    # ------------------------------------------------------------------ the *_scatter functions

    def select_scatter(self, src: Tensor, dim: _int, index: _int) -> Tensor:
        """A copy with ``self.select(dim, index)`` replaced by ``src`` (of that slice's shape)."""
        src = _tensor_argument(src, "select_scatter", "src", 1)
        _scatter_shape_check(src, self.select(dim, index).shape)
        return _written_through(self, lambda t: t.select(dim, index), src)

    def slice_scatter(self, src: Tensor, dim: _int = 0, start: _int | None = None,
                      end: _int | None = None, step: _int = 1) -> Tensor:
        """A copy with ``self[..., start:end:step, ...]`` (along ``dim``) replaced by ``src``."""
        src = _tensor_argument(src, "slice_scatter", "src", 1)
        if step <= 0:
            raise RuntimeError("slice step must be positive")
        d = normalize_dim(dim, self.ndim)
        index = (slice(None),) * d + (slice(start, end, step),)
        _scatter_shape_check(src, self[index].shape)
        return _written_through(self, lambda t: t[index], src)

    def diagonal_scatter(self, src: Tensor, offset: _int = 0, dim1: _int = 0,
                         dim2: _int = 1) -> Tensor:
        """A copy with ``self.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
        src = _tensor_argument(src, "diagonal_scatter", "src", 1)
        _scatter_shape_check(src, self.diagonal(offset, dim1, dim2).shape)
        return _written_through(self, lambda t: t.diagonal(offset, dim1, dim2), src)

    def as_strided_scatter(self, src: Tensor, size: Sequence[_int], stride: Sequence[_int],
                           storage_offset: _int | None = None) -> Tensor:
        """A copy with ``copy.as_strided(size, stride, storage_offset)`` replaced by ``src``
        (of that view's shape): element ``i`` of ``src`` goes to the copy's flat position
        ``storage_offset + sum(i_k * stride_k)`` (``storage_offset`` default 0). The copy's
        storage is its row-major order (PyTorch's copy of a transposed input keeps its strides,
        so there the positions differ). A position written twice holds one of the writes; each
        element of ``src`` gets the gradient at its position, ``self`` the gradient elsewhere
        (PyTorch's derivative)."""
        src = _tensor_argument(src, "as_strided_scatter", "src", 1)
        out = self.clone()
        _scatter_shape_check(src, out.as_strided(size, stride, storage_offset).shape)
        size, stride = _sizes(size), _sizes(stride)
        positions = np.full(size, 0 if storage_offset is None else int(storage_offset),
                            dtype=np.int64)
        for dim, (length, step) in enumerate(zip(size, stride)):
            positions += (np.arange(length, dtype=np.int64) * step).reshape(
                (-1,) + (1,) * (len(size) - dim - 1))
        flat = Tensor._make(positions.reshape(-1), None)
        if src._array.dtype is not self._array.dtype:
            src = src.to(self._array.dtype)
        return out.reshape(-1).index_put((flat,), src.reshape(-1)).reshape(self.shape)

    def fill_diagonal_(self, fill_value: Number, wrap: _bool = False) -> Tensor:
        """Write ``fill_value`` on the main diagonal, in place: the elements ``[i, i, ..., i]``
        (every dim the same size when more than 2). A tall matrix with ``wrap`` starts the
        diagonal again every ``columns + 1`` rows, as NumPy's ``fill_diagonal``."""
        if self.ndim < 2:
            raise RuntimeError("dimensions must larger than 1")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        rows, columns = self.shape[0], self.shape[1]
        length = min(self.shape)
        if self.ndim == 2 and wrap and rows > columns + 1:
            steps = np.arange(0, rows * columns, columns + 1)
            position = (steps // columns, steps % columns)
        else:
            position = (np.arange(length),) * self.ndim
        self[position] = fill_value
        return self

    def diag_embed(self, offset: _int = 0, dim1: _int = -2, dim2: _int = -1) -> Tensor:
        """Matrices with the last dim of this tensor on diagonal ``offset`` of dims ``dim1`` and
        ``dim2`` of the result (one more dim than this tensor; zeros elsewhere)."""
        ndim = self.ndim + 1
        d1, d2 = normalize_dim(dim1, ndim), normalize_dim(dim2, ndim)
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        n = (self.shape[-1] if self.ndim else 1) + abs(offset)
        batch = list(self.shape[:-1])
        shape = []
        for axis in range(ndim):
            shape.append(n if axis in (d1, d2) else batch.pop(0))
        out = Tensor._make(np.zeros(shape, dtype=self._array.dtype), None)
        out.diagonal(offset, d1, d2).copy_(self if self.ndim else self.reshape(1))
        return out

    def diagflat(self, offset: _int = 0) -> Tensor:
        """The elements (flattened) on diagonal ``offset`` of a square matrix of zeros."""
        return self.reshape(-1).diag(offset)

    def fliplr(self) -> Tensor:
        """``flip(1)``: columns reversed (at least 2-D)."""
        if self.ndim < 2:
            raise RuntimeError("Input must be >= 2-d.")
        return self.flip(1)

    def flipud(self) -> Tensor:
        """``flip(0)``: rows reversed (at least 1-D)."""
        if self.ndim < 1:
            raise RuntimeError("Input must be >= 1-d.")
        return self.flip(0)

    # ------------------------------------------------------------------ pieces and sums

    def split_with_sizes(self, split_sizes: Sequence[_int], dim: _int = 0) -> tuple[Tensor, ...]:
        """Views of ``split_sizes[i]`` elements along ``dim``, which they must cover exactly."""
        d = normalize_dim(dim, self.ndim)
        sizes = [int(s) for s in split_sizes]
        if sum(sizes) != self.shape[d] or any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                               f"{self.shape[d]} (input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
        return self.split(sizes, d)

    def unsafe_split(self, split_size: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """``split`` (PyTorch's form without view tracking: the same values here)."""
        return self.split(split_size, dim)

    def unsafe_chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """``chunk`` (PyTorch's form without view tracking: the same values here)."""
        return self.chunk(chunks, dim)

    def unsafe_split_with_sizes(self, split_sizes: Sequence[_int],
                                dim: _int = 0) -> tuple[Tensor, ...]:
        """``split_with_sizes`` (PyTorch's form without view tracking)."""
        return self.split_with_sizes(split_sizes, dim)

    def narrow_copy(self, dim: _int, start: _int, length: _int) -> Tensor:
        """``narrow`` as a copy."""
        if dim < -max(self.ndim, 1):
            normalize_dim(dim, self.ndim)  # PyTorch's IndexError for a negative dim
        if not dim < max(self.ndim, 1):
            raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be "
                               "true, but got false.  (Could this error message be improved?  "
                               "If so, please report an enhancement request to PyTorch.)")
        size = self.shape[dim] if self.ndim else 1
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                             f"but got {start})")
        start = start + size if start < 0 else start
        if length < 0 or start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                               f"({size}).")
        return self.narrow(dim, start, length).clone()

    def sum_to_size(self, *size) -> Tensor:
        """The sum over the dims this tensor was broadcast along from ``size`` (which must
        expand to this tensor's shape): the reverse of ``expand``."""
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = size[0]
        size = _sizes(size)
        shape = tuple(self.shape)
        lead = len(shape) - len(size)
        if lead < 0 or any(s != 1 and s != shape[lead + i] for i, s in enumerate(size)):
            raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                               f"{{{list(shape)}}}.")
        if not size:  # PyTorch's sum_to: the sum of everything (int64 for integers)
            return self.sum()
        out = self
        if lead:
            out = out.sum(tuple(range(lead)))
        dims = tuple(i for i, s in enumerate(size) if s == 1 and out.shape[i] != 1)
        if dims:
            out = out.sum(dims, keepdim=True)
        return out


def _check_flat_positions(index, numel):
    """PyTorch's error for a flat position outside ``[-numel, numel)``."""
    if index.size and (index.min() < -numel or index.max() >= numel):
        bad = index[(index < -numel) | (index >= numel)].reshape(-1)[0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {numel} "
                         "elements.")
