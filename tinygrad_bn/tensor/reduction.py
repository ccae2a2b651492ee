"""Reductions and scans: ``sum``, ``mean``, ``var``/``std``, ``max``/``min`` with their indices,
``norm``, ``dist``, ``renorm`` and ``cdist``, ``nansum``/``nanmean``, ``bincount``, the order statistics (``median``, ``kthvalue``, ``mode``, ``sort``, ``topk``), the
running ops (``cumsum``, ``cummax``, ...), ``softmax`` and ``logsumexp``, and ``var_mean``/
``std_mean``. ``dim`` may be an int, a tuple of ints or None (every dim), ``keepdim`` keeps the
reduced dims with size 1, as in PyTorch."""

from __future__ import annotations

import warnings
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..autocast_state import float32_op
from ..dtypes import DTypeLike, Number
from ..ops import (
    Cumprod, Cumsum, Derived, LogSoftmax, LogSumExp, Max, Mean, Min, Norm, Prod, Softmax, Std,
    Sum, Var,
)
from ..ops.linalg import CDist
from ..ops.positions import (
    cumulative_extremum_positions, kth_positions, median_positions, mode_positions,
    sort_positions, topk_positions,
)
from ..printing import return_types
from ..shapes import normalize_dim, normalize_dims, reduced_count
from .arguments import _tensor_argument, accept_numpy_names, constant_tensor
from .comparison import where
from .core import Tensor
from .shape import cat


class ReductionMethods:
    """The reductions, scans and sorts of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    # ------------------------------------------------------------------ any, all, argmax, argmin

    def all(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Whether every element is nonzero (over ``dim``), as a bool tensor (uint8 for a uint8
        input, as in PyTorch)."""
        dims = normalize_dims(dim, self.ndim)
        result = Derived.apply(self, function=np.all, keywords={"axis": dims, "keepdims": keepdim})
        return result.to(dtypes.uint8) if self._array.dtype == np.uint8 else result

    def any(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Whether any element is nonzero (over ``dim``), as a bool tensor (uint8 for a uint8
        input, as in PyTorch)."""
        dims = normalize_dims(dim, self.ndim)
        result = Derived.apply(self, function=np.any, keywords={"axis": dims, "keepdims": keepdim})
        return result.to(dtypes.uint8) if self._array.dtype == np.uint8 else result

    def argmax(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """Index of the largest value (in the flattened tensor when ``dim`` is None)."""
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
            raise TypeError(f"argmax(): argument 'dim' (position 1) must be int, not "
                            f"{type(dim).__name__}")
        _refuse_complex(self, "argmax(): does not support complex input")
        self._check_reducible("argmax", dim, IndexError)
        if dim is None:
            return Derived.apply(self, function=np.argmax)
        axis = normalize_dim(dim, self.ndim)
        axis = axis if self.ndim else None  # a 0-d tensor (dim 0 or -1): its one element
        return Derived.apply(self, function=np.argmax, keywords={"axis": axis, "keepdims": keepdim})

    def argmin(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """Index of the smallest value (in the flattened tensor when ``dim`` is None)."""
        if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
            raise TypeError(f"argmin(): argument 'dim' (position 1) must be int, not "
                            f"{type(dim).__name__}")
        _refuse_complex(self, "argmin(): does not support complex input")
        self._check_reducible("argmin", dim, IndexError)
        if dim is None:
            return Derived.apply(self, function=np.argmin)
        axis = normalize_dim(dim, self.ndim)
        axis = axis if self.ndim else None  # a 0-d tensor (dim 0 or -1): its one element
        return Derived.apply(self, function=np.argmin, keywords={"axis": axis, "keepdims": keepdim})

    # ------------------------------------------------------------------ sums, means, spreads

    def sum(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False, *,
            dtype: DTypeLike | None = None) -> Tensor:
        """Sum over ``dim`` (all dims when None). Without ``dtype``, bool and integer tensors sum
        to int64; with it, the input is cast to ``dtype`` and the sum is of that dtype (an int8
        sum wraps, a bool one is whether any is true), as in PyTorch."""
        if dtype is not None:
            source = self.to(dtype)
        elif dtypes.is_differentiable(self._array.dtype) or self._array.dtype is dtypes.int64:
            source = self
        else:
            source = self.to(dtypes.int64)
        return Sum.apply(source, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False, *,
             dtype: DTypeLike | None = None) -> Tensor:
        """Average over ``dim`` (an int, a tuple of ints, or None for every element; the default);
        ``keepdim=False`` drops the reduced dimensions, ``keepdim=True`` keeps them with size 1.
        With ``dtype`` (a floating dtype) the input is cast to it first, as PyTorch's
        ``mean(dtype=)``, so an integer tensor can be averaged; without it, floating tensors
        only (an integer tensor raises, as in PyTorch)."""
        if dtype is not None:
            if not dtypes.is_differentiable(dtypes.canonical(dtype)):
                raise RuntimeError(
                    "mean(): could not infer output dtype. Optional dtype must be either a "
                    f"floating point or complex dtype. Got: {dtypes.scalar_type_name(dtype)}")
            source = self.to(dtype)
        elif not dtypes.is_differentiable(self._array.dtype):
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {dtypes.scalar_type_name(self._array.dtype)}"
            )
        else:
            source = self
        return Mean.apply(source, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    @float32_op
    def prod(self, dim: _int | None = None, keepdim: _bool = False, *,
             dtype: DTypeLike | None = None) -> Tensor:
        """The product of all elements, or over one ``dim``; integer and bool inputs give int64
        unless ``dtype`` says otherwise (an integer product is computed in int64 and wrapped
        into ``dtype``, the same numbers as multiplying in it)."""
        source = self if dtype is None else self.to(dtype)
        if not dtypes.is_differentiable(source._array.dtype):
            source = source.to(dtypes.int64)
        d = None if dim is None else normalize_dim(dim, self.ndim)
        if self.ndim == 0:  # dims 0 and -1 of a 0-d tensor: the product of its one element
            d = None
        result = Prod.apply(source, dim=d, keepdim=keepdim)
        return result if dtype is None else result.to(dtype)

    def var(self, dim: _int | Sequence[_int] | None = None, unbiased: _bool | None = None,
            keepdim: _bool = False, *, correction: Number | None = None) -> Tensor:
        """Variance over ``dim``, divided by ``n - correction``.

        ``correction=1`` (the default, same as ``unbiased=True``) is the unbiased estimate;
        ``correction=0`` (``unbiased=False``) is the biased one batch norm normalises with.
        """
        dims, correction = self._spread_arguments("var", dim, unbiased, correction)
        if self._array.dtype.kind == "c":
            return _complex_variance(self, dims, correction, keepdim)
        return Var.apply(self, dim=dims, correction=correction, keepdim=keepdim)

    def std(self, dim: _int | Sequence[_int] | None = None, unbiased: _bool | None = None,
            keepdim: _bool = False, *, correction: Number | None = None) -> Tensor:
        """Standard deviation: the square root of ``var`` with the same arguments, one node
        whose gradient is 0 for a constant input (PyTorch's convention; see ``ops.Std``)."""
        dims, correction = self._spread_arguments("std", dim, unbiased, correction)
        if self._array.dtype.kind == "c":
            return _complex_variance(self, dims, correction, keepdim).sqrt()
        return Std.apply(self, dim=dims, correction=correction, keepdim=keepdim)

    def _spread_arguments(self, name, dim, unbiased, correction):
        """``(dims, correction)`` of ``var``/``std``, PyTorch's ways of saying them."""
        if not dtypes.is_differentiable(self._array.dtype):
            raise RuntimeError("std and var only support floating point and complex dtypes")
        if isinstance(dim, bool):  # var(True): PyTorch's positional unbiased
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:
            raise ValueError(f"{name}: pass either unbiased or correction, not both")
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = normalize_dims(dim, self.ndim)
        if reduced_count(self._array.shape, dims) - correction <= 0:
            warnings.warn(
                f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
                "the reduction factor (input numel divided by output numel).",
                UserWarning,
                stacklevel=4,
            )
        return dims, correction

    def nansum(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False, *,
               dtype: DTypeLike | None = None) -> Tensor:
        """``sum`` with NaNs counted as zero (their gradient is 0)."""
        source = where(self.isnan(), 0, self) if dtypes.is_floating(self._array.dtype) else self
        return source.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False, *,
                dtype: DTypeLike | None = None) -> Tensor:
        """The mean of the elements that are not NaN (NaN where all are), PyTorch's
        ``nansum(...) / count``; floating tensors only."""
        if not dtypes.is_floating(self._array.dtype):
            raise RuntimeError("nanmean(): expected input to have floating point or complex "
                               f"dtype but got {dtypes.scalar_type_name(self._array.dtype)}")
        count = self.isnan().logical_not().sum(dim, keepdim)
        return self.nansum(dim, keepdim, dtype=dtype) / count

    def bincount(self, weights: Tensor | None = None, minlength: _int = 0) -> Tensor:
        """How many times each value ``0 .. max`` occurs in this 1-D tensor of non-negative
        integers (at least ``minlength`` counts), int64; with ``weights`` (one per element) the
        sums of the weights instead, in float32 for float32 weights and float64 for any other,
        as PyTorch. No gradient."""
        if self._array.dtype.kind not in "iub" or self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented("bincount_cpu", self._array.dtype)
        if minlength < 0:
            raise RuntimeError("minlength should be >= 0")
        if self.ndim != 1 or (self._array.size and self._array.min() < 0):
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        if weights is None:
            return Derived.apply(self, function=_bincount, keywords={"minlength": minlength})
        if weights.ndim != 1 or weights.shape[0] != self.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        dtype = dtypes.float32 if weights._array.dtype is dtypes.float32 else dtypes.float64
        return Derived.apply(self, weights, function=_bincount,
                             keywords={"minlength": minlength, "dtype": dtype})

    # ------------------------------------------------------------------ extremes

    def max(self, dim: _int | Sequence[_int] | Tensor | None = None,
            keepdim: _bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """The maximum of all elements, or, with an int ``dim``, the pair ``(values, indices)``
        along it as PyTorch returns (a tuple of dims reduces all of them, like ``amax``).
        ``torch.max(a, b)`` with a tensor ``b`` is the elementwise ``maximum``."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extremum(Max, dim, keepdim, Tensor.argmax)

    def min(self, dim: _int | Sequence[_int] | Tensor | None = None,
            keepdim: _bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """The minimum of all elements, or ``(values, indices)`` along an int ``dim``;
        ``torch.min(a, b)`` with a tensor ``b`` is the elementwise ``minimum``."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extremum(Min, dim, keepdim, Tensor.argmin)

    def _extremum(self, op, dim, keepdim, arg):
        self._check_reducible(op.__name__.lower(), dim)
        if isinstance(dim, (int, np.integer)):
            d = normalize_dim(dim, self.ndim)
            # a 0-d tensor (dim 0 or -1) is its own maximum: reduced over nothing, as a whole
            values = op.apply(self, dim=d if self.ndim else None, keepdim=keepdim)
            pair = return_types.max if op is Max else return_types.min
            return pair(values, arg(self, dim, keepdim))
        return op.apply(self, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def amax(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Largest value over ``dim`` (an int, a tuple of ints, or None for all dimensions; the
        default), without indices; ``keepdim=False`` drops the reduced dimensions. As PyTorch's
        ``amax``, the gradient is split evenly between tied maxima."""
        self._check_reducible("amax", dim)
        return Max.apply(self, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def amin(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Smallest value over ``dim`` (an int, a tuple of ints, or None for all dimensions; the
        default), without indices; ``keepdim=False`` drops the reduced dimensions. As PyTorch's
        ``amin``, the gradient is split evenly between tied minima."""
        self._check_reducible("amin", dim)
        return Min.apply(self, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def _check_reducible(self, name, dim, no_dim_error=RuntimeError):
        """Max, min and their indices have no value over nothing: an empty tensor needs a
        ``dim``, and the dims reduced must not be empty (PyTorch's errors; ``amax``/``amin``
        name the dim as given, the others as normalised)."""
        if self._array.size:
            return
        if dim is None:
            message = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            if no_dim_error is RuntimeError:
                message += " Specify the reduction dim with the 'dim' argument."
            raise no_dim_error(message)
        normalize_dims(dim, self.ndim)  # out-of-range and repeated dims first
        for given in (dim if isinstance(dim, (tuple, list)) else (dim,)):
            d = normalize_dim(given, self.ndim)
            if self.ndim and self._array.shape[d] == 0:
                named = given if name in ("amax", "amin") else d
                raise IndexError(f"{name}(): Expected reduction dim {named} to have non-zero "
                                 "size.")

    def aminmax(self, *, dim: _int | None = None, keepdim: _bool = False) -> tuple[Tensor, Tensor]:
        """``(min, max)`` over ``dim`` (an int, or all elements when None), as the named tuple
        ``return_types.aminmax``; both differentiable like ``amin``/``amax``."""
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
        if dim is not None:
            d = normalize_dim(dim, self.ndim)
            if self.ndim and self.shape[d] == 0:
                raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        elif self._array.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        return return_types.aminmax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    # ------------------------------------------------------------------ counts and norms

    def count_nonzero(self, dim: _int | Sequence[_int] | None = None) -> Tensor:
        """How many elements are nonzero over ``dim`` (an int, a tuple, or all when None), as
        int64."""
        return Derived.apply(self, function=_count_nonzero,
                             keywords={"axis": normalize_dims(dim, self.ndim)})

    def norm(self, p: Number | str | None = "fro", dim: _int | Sequence[_int] | None = None,
             keepdim: _bool = False, dtype: DTypeLike | None = None) -> Tensor:
        """PyTorch's ``torch.norm``: the vector ``p``-norm over ``dim`` (all elements when
        None), ``sum(|x|**p) ** (1/p)``, ``max |x|`` for ``p=inf``, ``min |x|`` for ``-inf``,
        the count of nonzeros for 0.

        A string ``p`` is a matrix norm: ``"fro"`` (the default) is the 2-norm of the elements
        over at most two dims; ``"nuc"`` (and ``"fro"`` over more dims, which it refuses) goes
        to ``linalg.matrix_norm`` over ``dim`` (all dims when None). Computed in ``dtype`` when
        given. Floating tensors only, as in PyTorch.
        """
        if p is None:
            p = 2
        if isinstance(p, str):
            dims = None if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) \
                else (dim,)
            if p == "fro" and (dims is None or len(dims) <= 2):
                return self._vector_norm(2, dims, keepdim, dtype)
            # tg.linalg is written with the Tensor methods (a layer above them): looked up here
            from ..linalg import matrix_norm
            return matrix_norm(self, p, tuple(range(self.ndim)) if dims is None else dims,
                               keepdim, dtype=dtype)
        return self._vector_norm(p, dim, keepdim, dtype)

    def dist(self, other: Tensor, p: Number = 2) -> Tensor:
        """The ``p``-norm of ``self - other`` (broadcast), over all elements: ``norm(self -
        other, p)``."""
        other = _tensor_argument(other, "dist", "other", 1)
        return (self - other)._vector_norm(p, None, False, None)

    def renorm(self, p: Number, dim: _int, maxnorm: Number) -> Tensor:
        """Each slice along ``dim`` (``self.select(dim, i)``) whose ``p``-norm exceeds
        ``maxnorm`` scaled down to norm ``maxnorm``: multiplied by ``maxnorm / (norm + 1e-7)``
        (PyTorch's factor; the norm in float32 for float16). Differentiable through the norm, as
        PyTorch's."""
        if maxnorm < 0:
            raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {float(maxnorm)}")
        if self.ndim <= 1:
            raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {self.ndim} "
                               "dimensions")
        if p <= 0:
            raise RuntimeError("renorm: non-positive-norm not supported")
        d = normalize_dim(dim, self.ndim)
        others = tuple(k for k in range(self.ndim) if k != d)
        wide = dtypes.float32 if self._array.dtype is dtypes.float16 else None
        norm = self._vector_norm(p, others, True, wide)
        factor = where(norm > maxnorm, maxnorm / (norm + 1e-7), 1)
        return self * factor.to(self._array.dtype)

    def _vector_norm(self, ord, dim, keepdim, dtype):
        """PyTorch's ``linalg.vector_norm`` (see ``norm``)."""
        source = self._norm_input(dtype, "linalg.vector_norm")
        ord = float(ord)
        dims = normalize_dims(dim, self.ndim)
        if np.isinf(ord) and reduced_count(self.shape, dims) == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on an empty "
                               "tensor because the operation does not have an identity")
        if source._array.dtype.kind == "c":  # the norm of the magnitudes, a real tensor
            source = source.abs()
        return Norm.apply(source, p=ord, dim=dims, keepdim=keepdim)

    def _norm_input(self, dtype, name):
        """This tensor in the dtype a norm is computed in, with PyTorch's checks: a floating
        tensor, and a ``dtype`` it converts to without narrowing."""
        scalar_name = dtypes.scalar_type_name
        if not dtypes.is_differentiable(self._array.dtype):
            raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                               f"Got {scalar_name(self._array.dtype)}")
        if dtype is None:
            return self
        dtype = dtypes.canonical(dtype)
        if dtypes.promote(self._array.dtype, dtype) is not dtype:
            raise RuntimeError(
                f"{name}: the dtype of the input ({scalar_name(self.dtype)}) should be "
                f"convertible without narrowing to the specified dtype ({scalar_name(dtype)})")
        return self.to(dtype)

    # ------------------------------------------------------------------ order statistics, sorting

    def median(self, dim: _int | None = None,
               keepdim: _bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """The median: without ``dim``, of all elements, as a 0-d tensor; with ``dim``, the named
        tuple ``(values, indices)`` along it. With an even count it is the lower of the two
        middle values (PyTorch's convention, not their mean); a slice holding NaN gives NaN (at
        its first NaN). The gradient goes to the element picked."""
        self._check_sortable("median")
        if dim is None:
            flat = self.reshape(-1)
            if flat._array.size == 0:
                empty = np.nan if self.is_floating_point() else np.iinfo(self._array.dtype).min
                return constant_tensor(np.asarray(empty, dtype=self._array.dtype))
            position = Derived.apply(flat, function=median_positions, keywords={"dim": 0})
            return flat[position.reshape(())]
        return self._pick_along(dim, keepdim, median_positions, {}, return_types.median,
                                "median")

    def kthvalue(self, k: _int, dim: _int = -1, keepdim: _bool = False) -> tuple[Tensor, Tensor]:
        """The ``k``-th smallest value along ``dim`` (``k`` counts from 1) and its index, as the
        named tuple ``(values, indices)``; NaN counts as the largest value. Among tied values
        the index is the one PyTorch's CPU quickselect picks (which PyTorch documents as
        unspecified; see ``ops.tie_order``)."""
        self._check_sortable("kthvalue")
        d = normalize_dim(dim, self.ndim)
        size = self.shape[d] if self.ndim else 1
        if not 1 <= k <= size:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        return self._pick_along(dim, keepdim, kth_positions, {"k": int(k)},
                                return_types.kthvalue, "kthvalue")

    def mode(self, dim: _int = -1, keepdim: _bool = False) -> tuple[Tensor, Tensor]:
        """The most frequent value along ``dim`` (the smallest of equally frequent ones) and
        an index of it, as the named tuple ``(values, indices)``: the last occurrence in a
        slice of up to 16 elements, beyond that the one PyTorch's CPU sort leaves last among
        the ties (see ``ops.tie_order``)."""
        return self._pick_along(dim, keepdim, mode_positions, {}, return_types.mode, "mode")

    def _check_sortable(self, name):
        if self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented(f"{name}_cpu", self._array.dtype)

    def _pick_along(self, dim, keepdim, positions, keywords, result_type, name):
        """``(values, indices)`` of one element per slice along ``dim``:
        ``positions(array, dim=d, **keywords)`` (a function of ``ops.positions``) returns its
        int64 index in each slice (with ``d`` kept as size 1); the values are a ``gather`` of
        it, so they are differentiable."""
        d = normalize_dim(dim, self.ndim)
        source = self.reshape(1) if self.ndim == 0 else self
        if source.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        index = Derived.apply(source, function=positions, keywords={"dim": d, **keywords})
        values = source.gather(d, index)
        if self.ndim == 0:
            return result_type(values.reshape(()), index.reshape(()))
        if not keepdim:
            values, index = values.squeeze(d), index.squeeze(d)
        return result_type(values, index)

    def sort(self, dim: _int = -1, descending: _bool = False,
             stable: _bool = False) -> tuple[Tensor, Tensor]:
        """``(values, indices)`` along ``dim``, ascending unless ``descending`` (ties keep
        their order); values are differentiable (a gather)."""
        d = normalize_dim(dim, self.ndim)
        indices = self.argsort(d, descending)
        if self.ndim == 0:  # one element: itself, at index 0
            return return_types.sort(self.clone(), indices)
        return return_types.sort(self.gather(d, indices), indices)

    def argsort(self, dim: _int = -1, descending: _bool = False, stable: _bool = False) -> Tensor:
        """The indices that sort the tensor along ``dim`` (a stable sort)."""
        _refuse_complex(self, " Sort does not support complex dtypes on CPU")
        return Derived.apply(self, function=sort_positions, keywords={
            "dim": normalize_dim(dim, self.ndim), "descending": bool(descending)})

    def topk(self, k: _int, dim: _int = -1, largest: _bool = True,
             sorted: _bool = True) -> tuple[Tensor, Tensor]:
        """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
        d = normalize_dim(dim, self.ndim)
        if not 0 <= k <= (self.shape[d] if self.ndim else 1):
            raise RuntimeError("selected index k out of range")
        if self.ndim == 0 and k == 1:  # one element: itself, at index 0
            return return_types.topk(self.clone(), self.argsort())
        indices = Derived.apply(self, function=topk_positions,
                                keywords={"dim": d, "k": int(k), "largest": bool(largest)})
        return return_types.topk(self.gather(d, indices), indices)

    # ------------------------------------------------------------------ distinct values, histograms

    def unique(self, sorted: _bool = True, return_inverse: _bool = False,
               return_counts: _bool = False,
               dim: _int | None = None) -> Tensor | tuple[Tensor, ...]:
        """The distinct values, sorted (see ``tinygrad_bn.counting.unique``)."""
        from ..counting import unique  # counting builds on the tensor: a layer up

        return unique(self, sorted, return_inverse, return_counts, dim)

    def histc(self, bins: _int = 100, min: Number = 0, max: Number = 0) -> Tensor:
        """Counts in equal-width bins (see ``tinygrad_bn.counting.histc``)."""
        from ..counting import histc  # counting builds on the tensor: a layer up

        return histc(self, bins, min, max)

    def histogram(self, bins: _int | Tensor = 100, *, range: tuple[float, float] | None = None,
                  weight: Tensor | None = None, density: _bool = False):
        """``(hist, bin_edges)`` (see ``tinygrad_bn.counting.histogram``)."""
        from ..counting import histogram  # counting builds on the tensor: a layer up

        return histogram(self, bins, range=range, weight=weight, density=density)

    # ------------------------------------------------------------------ running sums and extremes

    def cumsum(self, dim: _int, *, dtype: DTypeLike | None = None) -> Tensor:
        """Running sums along ``dim``, in ``dtype`` when given (integer and bool inputs give
        int64 otherwise, as in PyTorch)."""
        d = normalize_dim(dim, self.ndim)
        source = self if dtype is None else self.to(dtype)
        if not dtypes.is_differentiable(source._array.dtype):
            source = source.to(dtypes.int64)
        if self.ndim == 0:
            result = Cumsum.apply(source.reshape(1), dim=0).reshape(())
        else:
            result = Cumsum.apply(source, dim=d)
        return result if dtype is None else result.to(dtype)

    def cumprod(self, dim: _int, *, dtype: DTypeLike | None = None) -> Tensor:
        """Running products along ``dim``, in ``dtype`` when given (integer and bool inputs give
        int64, as in PyTorch). The gradient is exact with zeros in the input."""
        d = normalize_dim(dim, self.ndim)
        source = self if dtype is None else self.to(dtype)
        if not dtypes.is_differentiable(source._array.dtype):
            source = source.to(dtypes.int64)
        if self.ndim == 0:
            result = Cumprod.apply(source.reshape(1), dim=0).reshape(())
        else:
            result = Cumprod.apply(source, dim=d)
        return result if dtype is None else result.to(dtype)

    def cummax(self, dim: _int) -> tuple[Tensor, Tensor]:
        """The running maximum along ``dim`` and where it was found, as the named tuple
        ``(values, indices)``; a tie moves the index to the later element, NaN propagates.
        The values are differentiable (the gradient goes to the indexed element)."""
        return self._cumulative_extremum(dim, True, return_types.cummax)

    def cummin(self, dim: _int) -> tuple[Tensor, Tensor]:
        """The running minimum along ``dim`` and where it was found (see ``cummax``)."""
        return self._cumulative_extremum(dim, False, return_types.cummin)

    def _cumulative_extremum(self, dim, largest, result_type):
        d = normalize_dim(dim, self.ndim)
        source = self.reshape(1) if self.ndim == 0 else self
        index = Derived.apply(source, function=cumulative_extremum_positions,
                              keywords={"dim": d, "largest": largest})
        values = source.gather(d, index)
        if self.ndim == 0:
            return result_type(values.reshape(()), index.reshape(()))
        return result_type(values, index)

    # ------------------------------------------------------------------ softmax

    def logsumexp(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """``log(sum(exp(self)))`` over ``dim``, computed stably; integer and bool inputs are
        computed in the default float dtype, as in PyTorch."""
        source = self if dtypes.is_floating(self._array.dtype) else self.to(
            dtypes.get_default_dtype())
        return LogSumExp.apply(source, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def softmax(self, dim: _int, dtype: DTypeLike | None = None) -> Tensor:
        """``exp(x) / sum(exp(x))`` along ``dim``, computed in ``dtype`` when given."""
        source = self._softmax_input("softmax", dtype)
        return Softmax.apply(source, dim=normalize_dim(dim, self.ndim))

    def log_softmax(self, dim: _int, dtype: DTypeLike | None = None) -> Tensor:
        """``x - logsumexp(x)`` along ``dim``, computed in ``dtype`` when given."""
        source = self._softmax_input("log_softmax", dtype)
        return LogSoftmax.apply(source, dim=normalize_dim(dim, self.ndim))

    def _softmax_input(self, name, dtype):
        source = self if dtype is None else self.to(dtype)
        if not dtypes.is_floating(source._array.dtype):
            raise NotImplementedError(
                f"{name}(): not implemented for '{dtypes.scalar_type_name(source.dtype)}' "
                f"tensors; convert with .float() or pass dtype=torch.float32"
            )
        return source


def _count_nonzero(array, axis):
    """``count_nonzero``'s result: how many elements are nonzero over ``axis``, as int64."""
    return np.asarray(np.count_nonzero(array, axis=axis), dtype=np.int64)


@accept_numpy_names
def var_mean(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: Number | None = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` in one call, with ``var``'s arguments (``correction=1``,
    the unbiased estimate, unless told otherwise)."""
    return _spread_and_mean(input, Tensor.var, "var_mean", dim, unbiased, keepdim, correction)


@accept_numpy_names
def std_mean(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: Number | None = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` in one call, with ``std``'s arguments."""
    return _spread_and_mean(input, Tensor.std, "std_mean", dim, unbiased, keepdim, correction)


def _spread_and_mean(input, spread, name, dim, unbiased, keepdim, correction):
    if not dtypes.is_floating(input._array.dtype):
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    if isinstance(dim, bool):  # var_mean(x, False): PyTorch's positional unbiased
        dim, unbiased = None, dim
    return (spread(input, dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


def _bincount(values, weights=None, *, minlength, dtype=np.int64):
    """``np.bincount`` in PyTorch's result dtype (weights summed in float64 first)."""
    return np.bincount(values, weights, minlength=minlength).astype(dtype, copy=False)


_CDIST_MODES = {"use_mm_for_euclid_dist_if_necessary": None, "use_mm_for_euclid_dist": True,
                "donot_use_mm_for_euclid_dist": False}


@float32_op
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` ``(..., P, M)`` and each row of
    ``x2`` ``(..., R, M)``: shape ``(..., P, R)``, batch dims broadcast.

    As PyTorch, ``p=2`` takes the matrix-product form ``sqrt(max(|a|^2 - 2 a.b + |b|^2, 0))``
    (its ``_euclidean_dist``, the same ops in the same order) when ``compute_mode`` is
    ``"use_mm_for_euclid_dist"``, or by default when ``P`` or ``R`` exceeds 25; otherwise
    ``ops.CDist``, the norm of each difference (values agree with PyTorch's to rounding: its
    kernel sums the powers in another order) with PyTorch's gradient formulas. The
    matrix-product form's gradients are those of the ops composed, as PyTorch's."""
    for name, t in (("X1", x1), ("X2", x2)):
        _tensor_argument(t, "cdist", name.lower(), 1 if name == "X1" else 2)
        if not dtypes.is_floating(t._array.dtype):
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{dtypes.scalar_type_name(t._array.dtype)}")
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError("X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if x1._array.dtype is not x2._array.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(x1._array.dtype)} but "
                           f"found {dtypes.scalar_type_name(x2._array.dtype)}")
    if x1._array.dtype is dtypes.float16:
        raise dtypes.not_implemented("cdist", x1._array.dtype)
    batch = tuple(np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2]))
    x1, x2 = x1.expand(*batch, *x1.shape[-2:]), x2.expand(*batch, *x2.shape[-2:])
    use_mm = _CDIST_MODES[compute_mode]
    if use_mm is None:
        use_mm = x1.shape[-2] > 25 or x2.shape[-2] > 25
    if p == 2 and use_mm:
        x1_norm = x1.pow(2).sum(-1, keepdim=True)
        x2_norm = x2.pow(2).sum(-1, keepdim=True)
        x1_ = cat([x1.mul(-2), x1_norm, x1_norm.new_ones(x1_norm.shape)], -1)
        x2_ = cat([x2, x2_norm.new_ones(x2_norm.shape), x2_norm], -1)
        return x1_.matmul(x2_.mT).clamp_min(0).sqrt()
    return CDist.apply(x1, x2, p=float(p))


def _refuse_complex(tensor, message):
    """PyTorch's ``RuntimeError`` for an op that orders values, given a complex tensor."""
    if tensor._array.dtype.kind == "c":
        raise RuntimeError(message)


def _complex_variance(tensor, dims, correction, keepdim):
    """The variance of a complex tensor, a real tensor as PyTorch's: ``sum(|x - mean|**2) /
    (n - correction)`` over ``dims``, built of differentiable ops."""
    deviation = tensor - tensor.mean(dims, keepdim=True)
    squared = deviation.real * deviation.real + deviation.imag * deviation.imag
    count = reduced_count(tensor._array.shape, dims)
    return squared.sum(dims, keepdim=keepdim) / max(count - correction, 0)
