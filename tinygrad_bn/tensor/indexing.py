"""Indexing: ``tensor[index]`` with every index form NumPy and PyTorch share, and picking or
placing elements by position (``gather``, ``scatter``, ``index_select``, ``index_add``/``copy``/
``fill``, ``take_along_dim``, ``tril``/``triu``) or
by mask (``masked_select``, ``masked_fill``, ``nonzero``). ``tensor[index] = value`` is an
in-place write: see ``inplace``."""

from __future__ import annotations

# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int

import warnings

import numpy as np

from .. import dtypes
from ..autograd import graph
from ..dtypes import Number
from ..ops import Gather, GetItem, IndexAdd, IndexSelect, ScatterAdd, ScatterReduce
from ..ops.movement import INDEX_TENSOR
from ..shapes import broadcast_error, broadcastable, normalize_dim
from ..warn_once import warn_always
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

    def nonzero_static(self, *, size: _int, fill_value: _int = -1) -> Tensor:
        """``nonzero()`` in a fixed shape ``(size, ndim)``: the first ``size`` rows of the
        indices, padded with rows of ``fill_value`` when there are fewer (a shape that does not
        depend on the values, for compilers)."""
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"nonzero_static(): argument 'size' must be int, not "
                            f"{type(size).__name__}")
        if size < 0:
            raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
        found = np.argwhere(self._array).astype(np.int64)[:size]
        padded = np.full((int(size), self._array.ndim), fill_value, dtype=np.int64)
        padded[:found.shape[0]] = found
        return Tensor._make(padded, None)

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

    def gather(self, dim: _int, index: Tensor, *, sparse_grad: _bool = False) -> Tensor:
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0`` (and likewise along any dim); the
        result has ``index``'s shape. ``index`` is int32 or int64 with as many dims as ``self``
        (a 0-d tensor counts as 1-D of size 1) and positions in ``[0, size)``: a negative one
        is refused, as in PyTorch. An empty index is not checked further. ``sparse_grad=True``
        is accepted; the gradient is dense all the same."""
        d = normalize_dim(dim, self.ndim)
        if not _check_gather_index(self, d, index, "gather"):
            return self.reshape(-1)[0:0].reshape(index.shape)
        if self.ndim == 0 or index.ndim == 0:  # 0-d and 1-D of size 1 are interchangeable
            return Gather.apply(self.reshape(-1), index.reshape(-1), dim=0).reshape(index.shape)
        return Gather.apply(self, index, dim=d)

    def scatter_add(self, dim: _int, index: Tensor, src: Tensor) -> Tensor:
        """A copy with ``src`` added at the positions ``index`` names along ``dim``
        (repeated positions add up); ``index`` as for ``scatter``."""
        return self._scatter(dim, index, src, overwrite=False, reduce=None)

    def scatter(self, dim: _int, index: Tensor, src: Tensor | Number | None = None, *,
                value: Number | None = None, reduce: str | None = None) -> Tensor:
        """A copy with ``src`` (a tensor of this dtype, or a number; or the keyword ``value=``)
        written at the positions ``index`` names along ``dim``: ``out[index[i][j]][j] =
        src[i][j]`` for ``dim=0``. ``index`` is int32 or int64, has as many dims as ``self``
        and ``src`` (0-d counting as 1-D of size 1), no larger than ``src`` in any dim and no
        larger than ``self`` in the other dims, with positions in ``[0, size)`` (a negative one
        is refused, as in PyTorch). ``reduce="add"``/``"multiply"`` adds or multiplies the
        values in instead (see ``ScatterReduce``: no gradient, as in PyTorch)."""
        if (src is None) == (value is None):
            raise TypeError("scatter() received an invalid combination of arguments: give "
                            "exactly one of src and value")
        result = self._scatter(dim, index, src if value is None else value, overwrite=True,
                               reduce=reduce)
        if reduce is not None and isinstance(src, Tensor):
            warn_reduce_with_tensor_src(stacklevel=4)  # the caller, under accept_numpy_names
        return result

    def scatter_reduce(self, dim: _int, index: Tensor, src: Tensor, reduce: str, *,
                       include_self: _bool = True) -> Tensor:
        """A copy with each ``src[i][j]`` reduced into ``self[index[i][j]][j]`` for ``dim=0``
        (likewise along any dim) by ``reduce``: ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"``
        or ``"amin"``; ``include_self=False`` leaves this tensor's values at the positions
        written out of the reduction. ``index`` as for ``scatter``. Differentiable, with
        PyTorch's gradients (see ``ops.ScatterReduce``)."""
        if not isinstance(src, Tensor):
            raise TypeError(f"scatter_reduce(): argument 'src' (position 3) must be Tensor, not "
                            f"{type(src).__name__}")
        reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch's aliases
        if reduce not in ("sum", "prod", "mean", "amax", "amin"):
            raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, "
                               f"got {reduce}")
        if reduce == "mean" and self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented("scatter_gather_tensor_cpu_reduce_mean", dtypes.bool)
        return self._scatter(dim, index, src, False, reduce, include_self)

    def _scatter(self, dim, index, src, overwrite, reduce, include_self=True):
        """``scatter``/``scatter_add``/``scatter_reduce``; PyTorch's messages name
        ``scatter()`` for all. ``reduce`` "add"/"multiply" is ``scatter``'s deprecated form."""
        deprecated_form = reduce in ("add", "multiply")
        if overwrite and reduce is not None and not deprecated_form:
            raise RuntimeError("reduce argument must be either add or multiply.")
        d = normalize_dim(dim, self.ndim)
        is_tensor = isinstance(src, Tensor)
        if is_tensor and src._array.dtype is not self._array.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        if not _check_gather_index(self, d, index, "scatter", src if is_tensor else None):
            return self.clone()
        if not is_tensor:
            src = constant_tensor(np.full(index._array.shape, src, dtype=self._array.dtype))
        if self.ndim == 0 or index.ndim == 0:  # 0-d and 1-D of size 1 are interchangeable
            flat = self.reshape(-1)._scatter(0, index.reshape(-1), src.reshape(-1), overwrite,
                                             reduce, include_self)
            return flat.reshape(self.shape)
        if reduce is not None:
            if deprecated_form:
                reduce = "sum" if reduce == "add" else "prod"
            return ScatterReduce.apply(self, src, index, dim=d, reduce=reduce,
                                       include_self=include_self, deprecated_form=deprecated_form)
        return ScatterAdd.apply(self, src, index, dim=d, overwrite=overwrite)


    # ------------------------------------------------------------------ slices by position

    def index_add(self, dim: _int, index: Tensor, source: Tensor, *,
                  alpha: Number = 1) -> Tensor:
        """A copy with ``alpha * source`` added into the slices at positions ``index`` (a 1-D
        int32/int64 tensor, one position per slice of ``source`` along ``dim``; repeated
        positions add up): ``out[index[i]] += alpha * source[i]`` for ``dim=0``. ``source`` has
        this tensor's dtype and shape apart from ``dim``. An integer tensor takes ``alpha``
        truncated to an int, as PyTorch does. See ``ops.IndexAdd`` for the rounding."""
        d = self._check_index_slices("index_add_", dim, index, source)
        alpha = alpha if dtypes.is_floating(self._array.dtype) else _int(alpha)
        if self.ndim == 0 or source.ndim == 0:
            flat = IndexAdd.apply(self.reshape(-1), source.reshape(-1), index, dim=0, alpha=alpha)
            return flat.reshape(self.shape)
        return IndexAdd.apply(self, source, index, dim=d, alpha=alpha)

    def index_copy(self, dim: _int, index: Tensor, source: Tensor) -> Tensor:
        """A copy with the slices at positions ``index`` (a 1-D int64 tensor) along ``dim``
        replaced by those of ``source``: ``out[index[i]] = source[i]`` for ``dim=0``."""
        d = self._check_index_slices("index_copy_", dim, index, source)
        return self._scatter_slices(d, index, source, overwrite=True)

    def index_fill(self, dim: _int, index: Tensor, value: Tensor | Number) -> Tensor:
        """A copy with the slices at positions ``index`` (a 0-d or 1-D int64 tensor; negative
        positions count from the end) along ``dim`` filled with ``value`` (a number or a 0-d
        tensor, which gets the gradient of every element it fills)."""
        _tensor_argument(index, "index_fill", "index", 2)
        if index._array.dtype is not dtypes.int64:
            raise IndexError("index_fill_(): Expected dtype int64 for index.")
        if index.ndim > 1:
            raise RuntimeError("Index has to be a vector/scalar")
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but "
                                   f"got tensor with {value.ndim} dimension(s).")
            value = value.to(self._array.dtype)
        else:
            value = _scalar_tensor(value, self._array.dtype)
        d = normalize_dim(dim, self.ndim)
        size = self.shape[d] if self.ndim else 1
        index = index.reshape(-1)
        index = where(index < 0, index + size, index)  # PyTorch counts negatives from the end
        # A mask of the slices filled: a repeated position fills (and differentiates) once.
        filled = constant_tensor(np.zeros(size, dtype=bool)).scatter(0, index, True)
        filled = filled.reshape((-1,) + (1,) * (self.ndim - d - 1) if self.ndim else ())
        return where(filled, value, self)

    def _check_index_slices(self, name, dim, index, source):
        """PyTorch's checks of ``index_add``'s and ``index_copy``'s arguments (``name`` is the
        in-place form its messages name); the normalised ``dim``."""
        _tensor_argument(index, name.rstrip("_"), "index", 2)
        _tensor_argument(source, name.rstrip("_"), "source", 3)
        d = normalize_dim(dim, self.ndim)
        index_type = dtypes.scalar_type_name(index._array.dtype)
        if name == "index_copy_":
            if index._array.dtype is not dtypes.int64:
                raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                                   f"{index_type}")
            if source._array.dtype is not self._array.dtype:
                raise RuntimeError(
                    "index_copy_(): self and source expected to have the same dtype, but got "
                    f"(self) {dtypes.scalar_type_name(self._array.dtype)} and (source) "
                    f"{dtypes.scalar_type_name(source._array.dtype)}")
        elif index._array.dtype not in (dtypes.int32, dtypes.int64):
            raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: "
                               f"{index_type}")
        if index.ndim > 1:
            raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: "
                             f"{index.ndim} with type: {index_type} and size: "
                             f"{list(index.shape)}")
        count = index._array.size
        source_size = source.shape[d] if source.ndim else 1
        if name == "index_add_":
            if source._array.dtype is not self._array.dtype:
                raise RuntimeError(
                    f"index_add_(): self ({dtypes.scalar_type_name(self._array.dtype)}) and "
                    f"source ({dtypes.scalar_type_name(source._array.dtype)}) must have the "
                    "same scalar type")
            if count != source_size:
                raise RuntimeError(f"index_add_(): Number of indices ({count}) should be equal "
                                   f"to source.size(dim): ({source_size}), for dim: {d}")
            if max(source.ndim, 1) != max(self.ndim, 1) or any(
                    a != b for k, (a, b) in enumerate(zip(self.shape, source.shape)) if k != d):
                raise RuntimeError(
                    "source tensor shape must match self tensor shape, excluding the specified "
                    f"dimension. Got self.shape = {list(self.shape)} source.shape = "
                    f"{list(source.shape)}")
        else:
            if count != source_size:
                raise IndexError(f"index_copy_(): Number of indices ({count}) should be equal "
                                 f"to source.size(dim) ({source_size})")
            for k, (a, b) in enumerate(zip(self.shape, source.shape)):
                if k != d and a != b:
                    raise RuntimeError(
                        "index_copy_(): Source/destination tensor must have same slice shapes. "
                        f"Destination slice shape: {a} at dimension {k} and source slice "
                        f"shape: {b} at dimension {k}.")
        return d

    def _scatter_slices(self, dim, index, source, overwrite):
        """``source`` added into (or written over) the slices of this tensor at the positions
        of the 1-D ``index`` along ``dim``: one ``ScatterAdd`` with the index broadcast to
        ``source``'s shape, so both gradients are ``ScatterAdd``'s (checked positions too)."""
        if self.ndim == 0 or source.ndim == 0:
            flat = self.reshape(-1)._scatter_slices(0, index.reshape(-1), source.reshape(-1),
                                                    overwrite)
            return flat.reshape(self.shape)
        placed = index.reshape((1,) * dim + (-1,) + (1,) * (self.ndim - dim - 1))
        if placed._array.shape != source._array.shape:
            placed = placed.expand(*source.shape)
        return ScatterAdd.apply(self, source, placed, dim=dim, overwrite=overwrite)

    def take_along_dim(self, indices: Tensor, dim: _int | None = None) -> Tensor:
        """The elements at ``indices`` (int64) along ``dim``: ``gather`` after broadcasting
        this tensor and ``indices`` against each other in every other dim, as NumPy's
        ``take_along_axis``; with ``dim=None``, along the flattened tensor. Along a ``dim`` a
        negative position counts from the end; along the flattened tensor it is refused, as
        ``gather`` refuses it (both as PyTorch does)."""
        _tensor_argument(indices, "take_along_dim", "indices", 2)
        if indices._array.dtype is not dtypes.int64:
            raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                               f"{dtypes.scalar_type_name(indices._array.dtype)}")
        if dim is None:
            source, indices, d = self.reshape(-1), indices.reshape(-1), 0
        else:
            d = normalize_dim(dim, self.ndim)
            if self.ndim != indices.ndim:
                raise RuntimeError(
                    "torch.take_along_dim(): input and indices should have the same number of "
                    f"dimensions, but got {self.ndim} dimensions for input, and {indices.ndim} "
                    "dimensions for indices")
            shape = list(np.broadcast_shapes(*(
                tuple(1 if k == d else n for k, n in enumerate(t.shape))
                for t in (self, indices))))
            source = self.expand(*shape[:d], self.shape[d], *shape[d + 1:]) if self.ndim \
                else self
            indices = indices.expand(*shape[:d], indices.shape[d], *shape[d + 1:]) \
                if indices.ndim else indices
            size = self.shape[d] if self.ndim else 1
            indices = where(indices < 0, indices + size, indices)
        return source.gather(d, indices)


_warned = {"scatter reduce": False}


def warn_reduce_with_tensor_src(stacklevel):
    """PyTorch's deprecation warning for ``scatter``/``scatter_`` with ``reduce=`` and a tensor
    ``src``, given once per process as there; ``stacklevel`` counts from this function."""
    if not _warned["scatter reduce"] or warn_always():
        _warned["scatter reduce"] = True
        warnings.warn(
            "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
            "removed in a future PyTorch release. Use torch.scatter_reduce instead for more "
            "reduction options.", UserWarning, stacklevel=stacklevel)


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


def _check_gather_index(tensor, dim, index, name, src=None):
    """PyTorch's checks of the dtype and shape of an index to pick along ``dim`` of ``tensor``
    (and of the ``src`` a scatter reads), in PyTorch's order and words; False when the index
    is empty, which PyTorch does not check further. ``Gather``/``ScatterAdd`` check its
    values, at every forward. A 0-d tensor counts as 1-D of size 1."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 3) must be Tensor, not "
                        f"{type(index).__name__}")
    shape = index._array.shape
    if index._array.size == 0:
        return False
    if index._array.dtype not in (dtypes.int32, dtypes.int64):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    scatter = name != "gather"
    if max(len(shape), 1) != max(tensor.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'self' if scatter else 'input'} tensor")
    if src is not None and max(src.ndim, 1) != max(len(shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    self_sizes, src_sizes = tensor.shape or (1,), (src.shape or (1,)) if src is not None else ()
    for axis, size in enumerate(shape or (1,)):
        if (axis != dim and size > self_sizes[axis]) or (src_sizes and size > src_sizes[axis]):
            if not scatter:
                raise RuntimeError(
                    f"Size does not match at dimension {axis} expected index {list(shape)} to "
                    f"be no larger than self {list(tensor.shape)} apart from dimension {dim}")
            against_src = f" and to be no larger size than src {list(src.shape)}" if src_sizes \
                else ""
            raise RuntimeError(f"Expected index {list(shape)} to be no larger than self "
                               f"{list(tensor.shape)} apart from dimension {dim}{against_src}")
    return True
