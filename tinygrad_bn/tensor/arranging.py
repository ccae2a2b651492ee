"""Arranging: pieces at given positions (``tensor_split``, ``hsplit``/``vsplit``/``dsplit``),
quarter turns (``rot90``), and the functions that shape tensors for joining or build a matrix
from pieces (``atleast_1d``/``2d``/``3d``, ``dstack``, ``column_stack``, ``block_diag``,
``cartesian_prod``, ``vander``). All are compositions of views, ``cat``, ``flip`` and
``cumprod``, so their gradients are those ops'."""

from __future__ import annotations

# ``int`` is a Tensor method, so annotations use this:
from builtins import int as _int
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..autograd import graph
from ..shapes import normalize_dim
from .arguments import _common_dtype, _tensor_list, constant_tensor
from .core import Tensor
from .shape import _at_least, cat, meshgrid, stack


class ArrangingMethods:
    """The arranging methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def tensor_split(self, indices_or_sections: _int | Sequence[_int] | Tensor,
                     dim: _int = 0) -> tuple[Tensor, ...]:
        """Views along ``dim``: an int ``n`` gives ``n`` pieces, the first ``size % n`` one
        element longer (NumPy's ``array_split``); a sequence of indices (or a 1-D int64
        tensor) cuts before each, as Python slices ``[:i0], [i0:i1], ..., [ik:]``."""
        if self.ndim == 0:
            raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got "
                               "a tensor with 0 dims")
        if isinstance(indices_or_sections, Tensor):
            if indices_or_sections._array.dtype is not dtypes.int64:
                raise RuntimeError(
                    "tensor_split expected tensor_indices_or_sections to have dtype of long, but "
                    f"got {dtypes.scalar_type_name(indices_or_sections._array.dtype)}")
            if indices_or_sections.ndim > 1:
                raise RuntimeError(
                    "tensor_split expected tensor_indices_or_sections to be a zero-dimensional "
                    "or one-dimensional tensor, but got a tensor with "
                    f"{indices_or_sections.ndim} dims")
            graph.untraceable("tensor_split with a tensor of indices returns shapes that depend "
                              "on the tensor's values")
            indices_or_sections = indices_or_sections.tolist()
        d = normalize_dim(dim, self.ndim)
        size = self.shape[d]
        if isinstance(indices_or_sections, (int, np.integer)):
            sections = int(indices_or_sections)
            if sections <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
            small, extra = divmod(size, sections)
            bounds, start = [], 0
            for k in range(sections - 1):
                start += small + (k < extra)
                bounds.append(start)
        else:
            bounds = [int(i) for i in indices_or_sections]
        starts = [0] + bounds
        ends = bounds + [None]
        return tuple(self[(slice(None),) * d + (slice(start, end),)]
                     for start, end in zip(starts, ends))

    def hsplit(self, indices_or_sections: _int | Sequence[_int]) -> tuple[Tensor, ...]:
        """``tensor_split`` along dim 1 (dim 0 of a 1-D tensor); ``n`` sections must divide
        the size evenly."""
        return self._split_along("hsplit", 1, 1 if self.ndim > 1 else 0, indices_or_sections)

    def vsplit(self, indices_or_sections: _int | Sequence[_int]) -> tuple[Tensor, ...]:
        """``tensor_split`` along dim 0 of a tensor of 2 or more dims (even sections)."""
        return self._split_along("vsplit", 2, 0, indices_or_sections)

    def dsplit(self, indices_or_sections: _int | Sequence[_int]) -> tuple[Tensor, ...]:
        """``tensor_split`` along dim 2 of a tensor of 3 or more dims (even sections)."""
        return self._split_along("dsplit", 3, 2, indices_or_sections)

    def _split_along(self, name, min_ndim, dim, indices_or_sections):
        if not isinstance(indices_or_sections, (int, np.integer, list, tuple)):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"({type(indices_or_sections).__name__}), but expected one of:\n"
                            " * (int sections)\n * (tuple of ints indices)\n")
        if self.ndim < min_ndim:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_ndim} "
                               f"dimension, but got a tensor with {self.ndim} dimensions!")
        if isinstance(indices_or_sections, (int, np.integer)):
            size = self.shape[dim]
            if indices_or_sections == 0 or size % indices_or_sections:
                raise RuntimeError(
                    f"torch.{name} attempted to split along dimension {dim}, but the size of "
                    f"the dimension {size} is not divisible by the split_size "
                    f"{indices_or_sections}!")
        return self.tensor_split(indices_or_sections, dim)

    def rot90(self, k: _int = 1, dims: Sequence[_int] = (0, 1)) -> Tensor:
        """The tensor turned ``k`` quarter turns in the plane of ``dims``, from the first
        towards the second (PyTorch's ``flip`` then ``transpose``; ``k`` may be negative)."""
        dims = list(dims)
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {self.ndim}")
        first, second = normalize_dim(dims[0], self.ndim), normalize_dim(dims[1], self.ndim)
        if first == second:
            raise RuntimeError("expected rotation dims to be different, but got dim0 = "
                               f"{dims[0]} and dim1 = {dims[1]}")
        turns = k % 4
        if turns == 1:
            return self.flip(second).transpose(first, second)
        if turns == 2:
            return self.flip(first, second)
        if turns == 3:
            return self.flip(first).transpose(first, second)
        return self.clone()


def _tensors_or_one(tensors):
    """The arguments of ``atleast_Nd`` as ``(list, single)``: tensors one by one or one list
    of them; ``single`` when one tensor was given (and one comes back)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0]), False
    return list(tensors), len(tensors) == 1


def _at_least_each(tensors, shape_of):
    tensors, single = _tensors_or_one(tensors)
    results = tuple(t.reshape(shape_of(t.shape)) if t.ndim < 3 else t for t in tensors)
    return results[0] if single else results


def atleast_1d(*tensors: Tensor) -> Tensor | tuple[Tensor, ...]:
    """Each tensor with at least one dim (a 0-d one as ``(1,)``), views; one tensor gives a
    tensor, several (or a list) a tuple."""
    return _at_least_each(tensors, lambda s: s if s else (1,))


def atleast_2d(*tensors: Tensor) -> Tensor | tuple[Tensor, ...]:
    """Each tensor with at least two dims: 0-d as ``(1, 1)``, 1-D ``(n,)`` as ``(1, n)``."""
    return _at_least_each(tensors, lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s,)


def atleast_3d(*tensors: Tensor) -> Tensor | tuple[Tensor, ...]:
    """Each tensor with at least three dims: 0-d as ``(1, 1, 1)``, ``(n,)`` as ``(1, n, 1)``,
    ``(m, n)`` as ``(m, n, 1)`` (NumPy's convention)."""
    return _at_least_each(tensors, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,),
                                              2: s + (1,)}.get(len(s), s))


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors depth-wise: each made at least 3-D (``atleast_3d``), then joined along
    dim 2."""
    return cat([atleast_3d(t) for t in _tensor_list(tensors, "dstack")], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors as columns: 0-d and 1-D tensors become columns ``(n, 1)``, others are
    joined as they are, along dim 1."""
    tensors = _tensor_list(tensors, "column_stack")
    return cat([t.reshape(t.numel(), 1) if t.ndim <= 1 else t for t in tensors], 1)


def block_diag(*tensors: Tensor) -> Tensor:
    """The block-diagonal matrix with the tensors (0-d as ``(1, 1)``, 1-D as one row) on its
    diagonal and zeros elsewhere, in their promoted dtype."""
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    if not tensors:
        return constant_tensor(np.zeros((1, 0), dtype=dtypes.get_default_dtype()))
    blocks = [_at_least(t, 2) for t in _common_dtype(list(tensors))]
    dtype = blocks[0]._array.dtype
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        height, size = b.shape
        pieces = [constant_tensor(np.zeros((height, left), dtype=dtype)), b,
                  constant_tensor(np.zeros((height, width - left - size), dtype=dtype))]
        rows.append(cat(pieces, 1))
        left += size
    return cat(rows, 0)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, as the rows of a
    ``(n0 * n1 * ..., k)`` tensor in row-major order (``itertools.product``); one tensor comes
    back as it is."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    return stack([grid.flatten() for grid in meshgrid(*tensors, indexing="ij")], 1)


def vander(x: Tensor, N: _int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of the 1-D ``x``: columns ``x**(N-1), ..., x, 1`` (``x**0``
    first with ``increasing``), ``N`` columns (``len(x)`` by default). As PyTorch: integer and
    bool inputs give int64, and the powers are a ``cumprod`` of ``[1, x, x, ...]``."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if not dtypes.is_floating(x._array.dtype):
        x = x.to(dtypes.int64)
    result = _powers(x, n)
    return result if increasing else result.flip(1)


def _powers(x, n):
    """``[x**0, x**1, ..., x**(n-1)]`` along a new last dim, PyTorch's ``cumprod`` of ones
    and copies of ``x`` (``vander`` and ``linalg.vander``)."""
    ones = constant_tensor(np.ones(x.shape + (min(n, 1),), dtype=x._array.dtype))
    if n <= 1:
        return ones
    return cat([ones, x.unsqueeze(-1).expand(*x.shape, n - 1)], -1).cumprod(-1)
