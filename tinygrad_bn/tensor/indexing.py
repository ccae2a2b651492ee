"""Indexing: ``tensor[index]`` with every index form NumPy and PyTorch share, and picking or
placing elements by position (``gather``, ``scatter``, ``index_select``, ``tril``/``triu``) or
by mask (``masked_select``, ``masked_fill``, ``nonzero``). ``tensor[index] = value`` is an
in-place write: see ``inplace``."""

from __future__ import annotations

# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int

import numpy as np

from .. import dtypes
from ..autograd import graph
from ..dtypes import Number
from ..ops import Gather, GetItem, IndexSelect, ScatterAdd
from ..ops.movement import INDEX_TENSOR
from ..shapes import broadcast_error, broadcastable, normalize_dim
from .arguments import _scalar_tensor, _tensor_argument, constant_tensor
from .comparison import where
from .core import Tensor


class IndexingMethods:
    """The indexing methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def __getitem__(self, index):
        template, tensors = _index(index)
        return GetItem.apply(self, *tensors, index=template)

    def index_select(self, dim: _int, index: Tensor) -> Tensor:
        """The slices at positions ``index`` (a 1-D int64 or int32 tensor; repeats allowed)
        along ``dim``, as a copy; the gradient is added back at those positions."""
        _tensor_argument(index, "index_select", "index", 2)
        if index._array.dtype not in (dtypes.int32, dtypes.int64):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        d = normalize_dim(dim, self.ndim)
        if self.ndim == 0:  # a scalar's only element, picked once
            if index._array.size != 1:
                raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                                   f"{index._array.size} value(s)")
            return IndexSelect.apply(self.reshape(1), index, dim=0, scalar=True).reshape(())
        return IndexSelect.apply(self, index, dim=d)

    def masked_select(self, mask: Tensor) -> Tensor:
        """The elements where the boolean ``mask`` holds (the two broadcast together), as a
        1-D tensor in row-major order; the gradient flows back to those positions."""
        _tensor_argument(mask, "masked_select", "mask", 1)
        if mask._array.dtype is not dtypes.bool:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        if not broadcastable(mask._array.shape, self._array.shape):
            raise RuntimeError(broadcast_error(mask._array.shape, self._array.shape))
        graph.untraceable("masked_select returns a shape that depends on the tensor's values")
        shape = np.broadcast_shapes(mask._array.shape, self._array.shape)
        source = self if self._array.shape == shape else self.expand(*shape)
        return source[mask if mask._array.shape == shape else mask.expand(*shape)]

    def masked_fill(self, mask: Tensor, value: Tensor | Number) -> Tensor:
        """A copy with ``value`` (a number or a 0-d tensor) where the boolean ``mask`` holds."""
        if not isinstance(mask, Tensor) or mask._array.dtype is not dtypes.bool:
            got = (dtypes.cpp_type_name(mask._array.dtype) if isinstance(mask, Tensor)
                   else type(mask).__name__)
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {got}")
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        if not isinstance(value, Tensor):
            value = _scalar_tensor(value, self._array.dtype)
        return where(mask, value.to(self._array.dtype), self)

    def nonzero(self, *, as_tuple: _bool = False) -> Tensor | tuple[Tensor, ...]:
        """The indices of the nonzero elements: an int64 tensor of shape ``(count, ndim)``, one
        row per element in row-major order, or with ``as_tuple`` one 1-D tensor per dim (ready
        to index with)."""
        graph.untraceable("nonzero returns a shape that depends on the tensor's values")
        array = self._array
        if not as_tuple:
            return Tensor._make(np.argwhere(array).astype(np.int64), None)
        if array.ndim == 0:
            return (Tensor._make(np.zeros(int(bool(array)), dtype=np.int64), None),)
        return tuple(Tensor._make(i.astype(np.int64), None) for i in np.nonzero(array))

    def argwhere(self) -> Tensor:
        """``nonzero()``: the ``(count, ndim)`` indices of the nonzero elements."""
        return self.nonzero()

    def tril(self, diagonal: _int = 0) -> Tensor:
        """The lower triangle (on and below the ``diagonal``) of the last two dims; zeros
        elsewhere."""
        return self._triangle(np.tril, diagonal, "tril")

    def triu(self, diagonal: _int = 0) -> Tensor:
        """The upper triangle (on and above the ``diagonal``) of the last two dims."""
        return self._triangle(np.triu, diagonal, "triu")

    def _triangle(self, pick, diagonal, name):
        if self.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        keep = pick(np.ones(self.shape[-2:], dtype=bool), diagonal)
        zero = False if self._array.dtype == np.bool_ else 0  # keeps a bool tensor bool
        return where(constant_tensor(keep), self, zero)

    def gather(self, dim: _int, index: Tensor) -> Tensor:
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0`` (and likewise along any dim);
        ``index`` is int64 with the same number of dims."""
        d = normalize_dim(dim, self.ndim)
        _check_gather_index(self, d, index, "gather")
        return Gather.apply(self, index, dim=d)

    def scatter_add(self, dim: _int, index: Tensor, src: Tensor) -> Tensor:
        """A copy with ``src`` added at the positions ``index`` names along ``dim``
        (repeated positions add up)."""
        return self._scatter(dim, index, src, overwrite=False, name="scatter_add")

    def scatter(self, dim: _int, index: Tensor, src: Tensor | Number) -> Tensor:
        """A copy with ``src`` (a tensor or a number) written at the positions ``index`` names
        along ``dim``."""
        return self._scatter(dim, index, src, overwrite=True, name="scatter")

    def _scatter(self, dim, index, src, overwrite, name):
        d = normalize_dim(dim, self.ndim)
        _check_gather_index(self, d, index, name)
        if not isinstance(src, Tensor):
            src = constant_tensor(np.full(index._array.shape, src, dtype=self._array.dtype))
        elif src._array.dtype is not self._array.dtype:
            raise RuntimeError(
                f"{name}(): Expected self.dtype to be equal to src.dtype")
        return ScatterAdd.apply(self, src, index, dim=d, overwrite=overwrite)


def _index(index):
    """An index as ``(template, tensors)`` for ``GetItem``/``SetItem``: each tensor in it is
    replaced by ``INDEX_TENSOR`` in the template and becomes an input of the op (so that a jit
    capture replays it from the data); Python lists become NumPy arrays. Dtypes are checked.
    A boolean tensor selects as many elements as it holds True: a jit capture refuses it."""
    parts = index if isinstance(index, tuple) else (index,)
    converted, tensors = [], []
    for part in parts:
        if isinstance(part, Tensor):
            _check_index_dtype(part._array.dtype)
            if part._array.dtype is dtypes.bool:
                graph.untraceable("indexing with a boolean mask returns a shape that depends on "
                                  "the tensor's values")
            tensors.append(part)
            part = INDEX_TENSOR
        elif isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray):
            _check_index_dtype(part.dtype)
            if part.ndim == 0 and part.dtype.kind in "iu":
                part = int(part)
        elif isinstance(part, float):
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"byte Variables are valid indices (got {type(part).__name__})")
        converted.append(part)
    if isinstance(index, tuple) or len(converted) != 1:
        return tuple(converted), tensors
    return converted[0], tensors


def _check_index_dtype(dtype):
    if dtype.kind not in "iub":
        raise IndexError(
            f"tensors used as indices must be long, int, byte or bool tensors (got {dtype})")


def _check_gather_index(tensor, dim, index, name):
    """PyTorch's checks of the dtype and shape of an index to pick along ``dim`` of ``tensor``
    (``Gather``/``ScatterAdd`` check its values, at every forward)."""
    if not isinstance(index, Tensor) or index._array.dtype is not dtypes.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    shape = index._array.shape
    if len(shape) != tensor.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for axis, size in enumerate(shape):
        if axis != dim and size > tensor.shape[axis]:
            raise RuntimeError(
                f"Size does not match at dimension {axis} expected index {list(shape)} to "
                f"be smaller than self {list(tensor.shape)} apart from dimension {dim}"
            )
