"""Numerical helpers of PyTorch that build on the other families: ``quantile``/``nanquantile``,
``logcumsumexp``, ``msort``, ``frexp``/``ldexp``, ``heaviside`` (Tensor methods,
with their in-place forms), and the functions ``isin``, ``trapezoid``/``trapz``,
``cumulative_trapezoid``, ``gradient``, ``triu_indices``/``tril_indices`` and
``combinations``. Most are compositions of differentiable ops, written as PyTorch's ATen
composes them (so values and gradients agree with its own, rounding included); ``logcumsumexp``
and ``frexp`` are ops of their own (``ops/special.py``)."""

from __future__ import annotations

import itertools
import numbers
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, float as _float, int as _int

import numpy as np

from .. import dtypes
from ..dtypes import DTypeLike, Number
from ..ops import Derived
from ..ops.opmath import opmath
from ..ops.special import Frexp, Ldexp, Logcumsumexp
from ..printing import return_types
from ..shapes import normalize_dim
from .arguments import _tensor_argument, constant_tensor
from .core import Tensor
from .shape import cat

_Logcumsumexp = opmath(Logcumsumexp)  # float16 is accumulated in float32, as PyTorch's kernel
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class NumericalMethods:
    """The numerical helpers of ``Tensor``, which takes these methods as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def logcumsumexp(self, dim: _int) -> Tensor:
        """``log(cumsum(exp(self), dim))`` computed without overflow; floating tensors only,
        as PyTorch. Gradient: see ``ops.Logcumsumexp``."""
        if not dtypes.is_floating(self._array.dtype):
            raise dtypes.not_implemented("logcumsumexp_out_cpu", self._array.dtype)
        return _Logcumsumexp.apply(self, dim=normalize_dim(dim, self.ndim) if self.ndim else 0)

    def quantile(self, q: Tensor | _float, dim: _int | None = None, keepdim: _bool = False, *,
                 interpolation: str = "linear") -> Tensor:
        """The ``q``-th quantiles of ``self`` over ``dim`` (all elements when None): with ``n``
        values sorted, the value at rank ``q (n - 1)``, between two ranks by ``interpolation``
        (``linear``: lerp; ``lower``/``higher``: floor/ceil rank; ``nearest``: rounded rank,
        halves to even; ``midpoint``: the mean of the two). A 1-D ``q`` puts its quantiles in
        a new first dim. A NaN in a slice makes its quantiles NaN. Gradient through the sort
        and the interpolation, as PyTorch's."""
        return _quantile(self, q, dim, keepdim, interpolation, ignore_nan=False)

    def nanquantile(self, q: Tensor | _float, dim: _int | None = None, keepdim: _bool = False,
                    *, interpolation: str = "linear") -> Tensor:
        """``quantile`` ignoring NaNs: the ranks count the non-NaN values of each slice (a slice
        of NaNs only gives NaN)."""
        return _quantile(self, q, dim, keepdim, interpolation, ignore_nan=True)

    def msort(self) -> Tensor:
        """``self`` sorted along dim 0 (the values of ``sort(dim=0)``)."""
        return self.sort(dim=0).values

    def frexp(self):
        """The named tuple ``(mantissa, exponent)`` with ``self = mantissa * 2**exponent``,
        ``0.5 <= |mantissa| < 1`` (0, inf and NaN kept, exponent 0); the exponent is int32.
        Floating tensors only. Gradient: ``grad / 2**exponent`` to the mantissa."""
        if not dtypes.is_floating(self._array.dtype):
            raise RuntimeError("torch.frexp() only supports floating-point dtypes")
        exponent = Derived.apply(self, function=_exponent)
        return return_types.frexp(Frexp.apply(self), exponent)

    def ldexp(self, other: Tensor) -> Tensor:
        """``self * 2**other`` (PyTorch's ``mul(self, pow(2.0, other))``); integer ``self``
        gives the default float dtype. See ``ops.Ldexp`` for PyTorch's gradient, which this
        follows (0 for ``self`` where an integer ``other`` is negative)."""
        _tensor_argument(self, "ldexp", "input", 1)
        _tensor_argument(other, "ldexp", "other", 2)
        return Ldexp.apply(self._floating(), other)

    def heaviside(self, values: Tensor) -> Tensor:
        """The step function: 0 where ``self < 0``, 1 where ``self > 0``, ``values`` where
        ``self == 0`` (NaN gives 0, as PyTorch); ``values`` broadcasts and must have
        ``self``'s dtype. Not differentiable."""
        _tensor_argument(self, "heaviside", "input", 1)
        _tensor_argument(values, "heaviside", "values", 2)
        if values._array.dtype != self._array.dtype:
            raise RuntimeError(
                "heaviside is not yet implemented for tensors with different dtypes.")
        return Derived.apply(self, values, function=_heaviside)

    def ldexp_(self, other: Tensor) -> Tensor:
        """In-place ``ldexp``."""
        return self._write(Tensor.ldexp, other)

    def heaviside_(self, values: Tensor) -> Tensor:
        """In-place ``heaviside``."""
        return self._write(Tensor.heaviside, values)


def _tensor(value):
    return value if isinstance(value, Tensor) else constant_tensor(np.asarray(value))


def _exponent(array):
    return np.frexp(array)[1].astype(np.int32)


def _heaviside(array, values):
    return np.where(array == 0, values, array > 0).astype(array.dtype)


def _isin(elements, test_elements, invert):
    return np.isin(elements, test_elements, invert=invert)


def _slice(t, dim, start=None, stop=None):
    """``t`` sliced ``start:stop`` along ``dim``."""
    return t[(slice(None),) * dim + (slice(start, stop),)]


# ---------------------------------------------------------------- quantile


def _quantile(self, q, dim, keepdim, interpolation, ignore_nan):
    """PyTorch's ``quantile_impl``: the checks in its order and wording, then sort, ranks,
    gather and lerp as its composite does."""
    name = "quantile"  # nanquantile's messages say quantile() too
    dtype = self._array.dtype
    if dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if q._array.dtype != dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if not ((q._array >= 0) & (q._array <= 1)).all():
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        q_tensor = q
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        q_tensor = constant_tensor(np.asarray(q, dtype=dtype))
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if self.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        sorted_values = self.flatten().sort().values
        reduced = [1] * self.ndim if keepdim else []
    else:
        d = normalize_dim(dim, self.ndim) if self.ndim else 0
        source = self.reshape(1) if self.ndim == 0 else self
        if d == source.ndim - 1:
            sorted_values = source.sort().values
        else:
            sorted_values = source.unsqueeze(-1).transpose(d, -1).sort().values
        reduced = list(self.shape)
        if self.ndim:
            if keepdim:
                reduced[d] = 1
            else:
                del reduced[d]
    # viewed as the output's shape (without q's dim) with the sorted values last
    sorted_values = sorted_values.reshape(*reduced, -1)
    q1 = q_tensor.reshape(-1)
    last_index = sorted_values.shape[-1] - 1
    nan = sorted_values.isnan()
    if ignore_nan:  # ranks among the non-NaN values; a slice of NaNs only gets rank 0
        ranks = q1 * (nan.logical_not().sum(-1, keepdim=True) - 1)
        ranks = ranks.masked_fill(ranks < 0, 0)
    else:  # a slice holding a NaN gets the last rank: its NaN
        ranks = q1 * last_index
        any_nan = nan.any(-1, keepdim=True)
        shape = tuple(np.broadcast_shapes(ranks.shape, any_nan.shape))
        ranks = ranks.broadcast_to(shape).masked_fill(any_nan.broadcast_to(shape), last_index)
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    ranks_below = ranks.to(dtypes.int64)
    values = sorted_values.gather(-1, ranks_below)
    if interpolation in ("linear", "midpoint"):
        weights = ranks - ranks_below if interpolation == "linear" else \
            Tensor._make(np.full(ranks.shape, 0.5, dtype=dtype), None)
        values_above = sorted_values.gather(-1, ranks.ceil().to(dtypes.int64))
        values = values.lerp(values_above, weights)
    if q_tensor.ndim == 0:
        return values.squeeze(-1)
    return values.unsqueeze(0).transpose(0, -1).squeeze(-1)


# ---------------------------------------------------------------- module-level functions


def isin(elements: Tensor | Number, test_elements: Tensor | Number, *,
         assume_unique: _bool = False, invert: _bool = False) -> Tensor:
    """Whether each element of ``elements`` is in ``test_elements`` (a bool tensor of
    ``elements``' shape; ``invert``: is not). Either may be a Python number.
    ``assume_unique`` is accepted (a speed hint in PyTorch) and changes nothing."""
    return Derived.apply(_tensor(elements), _tensor(test_elements), function=_isin,
                         keywords={"invert": bool(invert)})


def _zeros_without(y, dim):
    shape = list(y.shape)
    del shape[dim]
    return Tensor._make(np.zeros(shape, dtype=y._array.dtype), None)


def _x_viewed(y, x, dim, name):
    """``x`` viewed to broadcast against ``y`` along ``dim`` (PyTorch's rule)."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[dim] = x.shape[0]
        return x.reshape(*shape)
    if x.ndim < y.ndim:
        return x.reshape(*([1] * (y.ndim - x.ndim) + list(x.shape)))
    return x


def _check_dx(dx, name):
    if isinstance(dx, (bool, complex)) or not isinstance(dx, numbers.Real):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Number | None = None,
              dim: _int = -1) -> Tensor:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule: with sample points ``x``
    (1-D, or broadcasting with ``y``), ``sum((y[i] + y[i+1]) (x[i+1] - x[i])) / 2``; with a
    constant spacing ``dx`` (default 1), ``dx (sum(y) - (y[0] + y[-1]) / 2)``. An empty dim
    gives zeros."""
    dim = normalize_dim(dim, y.ndim)
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments - got both "
                        "x and dx")
    if y.shape[dim] == 0:
        return _zeros_without(y, dim)
    if y._array.dtype is dtypes.bool:
        raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not supported")
    if x is not None:
        if x._array.dtype is dtypes.bool:
            raise RuntimeError(
                "trapezoid: received a bool input for `x`, but bool is not supported")
        x = _x_viewed(y, x, dim, "trapezoid")
        spacing = _slice(x, dim, 1) - _slice(x, dim, 0, -1)
        return ((_slice(y, dim, 0, -1) + _slice(y, dim, 1)) * spacing).sum(dim) / 2.0
    dx = 1 if dx is None else dx
    _check_dx(dx, "trapezoid")
    return (y.sum(dim) - (y.select(dim, 0) + y.select(dim, -1)) * 0.5) * float(dx)


def trapz(y: Tensor, x: Tensor | None = None, *, dx: Number | None = None,
          dim: _int = -1) -> Tensor:
    """``trapezoid`` (its older name)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: Number | None = None,
                         dim: _int = -1) -> Tensor:
    """The running trapezoidal integral of ``y`` along ``dim`` (one element fewer than ``y``
    there): ``cumsum((y[i] + y[i+1]) (x[i+1] - x[i])) / 2``, or ``cumsum(dx / 2 (y[i] +
    y[i+1]))`` for a constant spacing."""
    dim = normalize_dim(dim, y.ndim)
    if y._array.dtype is dtypes.bool:
        raise RuntimeError(
            "cumulative_trapezoid: received a bool input for `y`, but bool is not supported")
    left, right = _slice(y, dim, 0, -1), _slice(y, dim, 1)
    if x is not None:
        x = _x_viewed(y, x, dim, "cumulative_trapezoid")
        spacing = _slice(x, dim, 1) - _slice(x, dim, 0, -1)
        return ((left + right) * spacing).cumsum(dim) / 2.0
    dx = 1 if dx is None else dx
    _check_dx(dx, "cumulative_trapezoid")
    return (float(dx) / 2.0 * (left + right)).cumsum(dim)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: _int = 1) -> tuple:
    """The gradient of ``input`` sampled on a grid, one tensor per dim in ``dim`` (all dims by
    default), by central differences inside and one-sided differences of order
    ``edge_order`` (1 or 2) at the edges. ``spacing``: one number for every dim, one per dim,
    or one 1-D tensor of coordinates per dim (uneven grids: the second-order formula of
    Fornberg, as NumPy's and PyTorch's)."""
    if input._array.dtype == np.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    dims = None if dim is None else ([dim] if isinstance(dim, numbers.Integral) else list(dim))
    if isinstance(spacing, (list, tuple)):
        spacing_size = len(spacing)
        if dims is None and spacing_size != input.ndim:
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar, or a list of "
                f"length equal to 'self.dim() = {input.ndim}', since dim argument was not "
                f"given, but got a list of length {spacing_size}")
        if dims is not None and spacing_size != len(dims):
            raise RuntimeError(
                "torch.gradient expected spacing to be unspecified, a scalar or it's spacing "
                "and dim arguments to have the same length, but got a spacing argument of "
                f"length {spacing_size} and a dim argument of length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    directions = list(range(input.ndim)) if dims is None else \
        [normalize_dim(d, input.ndim) for d in dims]
    if len(set(directions)) != len(directions):
        repeated = next(d for d in directions if directions.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    for d in directions:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1")
    if not isinstance(spacing, (list, tuple)):
        spacing = [1 if spacing is None else spacing] * len(directions)
    if spacing and isinstance(spacing[0], Tensor):
        return tuple(_gradient_coordinates(input, coordinates, d, edge_order)
                     for coordinates, d in zip(spacing, directions))
    return tuple(_gradient_uniform(input, h, d, edge_order)
                 for h, d in zip(spacing, directions))


def _gradient_uniform(f, h, d, edge_order):
    center = (_slice(f, d, 2) - _slice(f, d, 0, -2)) / h
    if edge_order == 1:
        prepend = (_slice(f, d, 1, 2) - _slice(f, d, 0, 1)) / h
        append = (_slice(f, d, -1) - _slice(f, d, -2, -1)) / h
    else:
        prepend = (_slice(f, d, 0, 1) * -1.5 + _slice(f, d, 1, 2) * 2
                   - _slice(f, d, 2, 3) * 0.5) / h
        append = (_slice(f, d, -3, -2) * 0.5 + _slice(f, d, -2, -1) * -2
                  + _slice(f, d, -1) * 1.5) / h
    return cat([prepend, center / 2, append], d)


def _gradient_coordinates(f, coordinates, d, edge_order):
    if coordinates.ndim != 1:
        raise RuntimeError(
            "torch.gradient expected each element of spacing to have one dimension, but got "
            f"an element with {coordinates.ndim} dimensions!")
    shape = [1] * f.ndim
    shape[d] = -1
    step = coordinates.diff(1, 0)
    dx1, dx2 = step[:-1], step[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(*shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(*shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(*shape)
    center = a * _slice(f, d, 0, -2) + b * _slice(f, d, 1, -1) + c * _slice(f, d, 2)
    if edge_order == 1:
        prepend = (_slice(f, d, 1, 2) - _slice(f, d, 0, 1)) / step[0]
        append = (_slice(f, d, -1) - _slice(f, d, -2, -1)) / step[-1]
    else:
        h0, h1 = step[0], step[1]
        a = -(2.0 * h0 + h1) / (h0 * (h0 + h1))
        b = (h0 + h1) / (h0 * h1)
        c = (-h0) / (h1 * (h0 + h1))
        prepend = a * _slice(f, d, 0, 1) + b * _slice(f, d, 1, 2) + c * _slice(f, d, 2, 3)
        h0, h1 = step[-1], step[-2]
        a = h0 / (h1 * (h0 + h1))
        b = -(h0 + h1) / (h0 * h1)
        c = (2 * h0 + h1) / (h0 * (h0 + h1))
        append = a * _slice(f, d, -3, -2) + b * _slice(f, d, -2, -1) + c * _slice(f, d, -1)
    return cat([prepend, center, append], d)


def _triangle_indices(name, row, col, offset, dtype, upper):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dtype = dtypes.canonical(dtype)
    if dtype not in (np.int32, np.int64):
        raise dtypes.not_implemented(name, dtype)
    rows, cols = (np.triu_indices if upper else np.tril_indices)(row, offset, col)
    return Tensor._make(np.stack([rows, cols]).astype(dtype), None)


def triu_indices(row: _int, col: _int, offset: _int = 0, *, dtype: DTypeLike = dtypes.int64,
                 device=None, layout=None) -> Tensor:
    """The ``(2, N)`` row and column indices of the upper triangle (``col - row >= offset``)
    of a ``row x col`` matrix, in row-major order; int64 or int32."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, upper=True)


def tril_indices(row: _int, col: _int, offset: _int = 0, *, dtype: DTypeLike = dtypes.int64,
                 device=None, layout=None) -> Tensor:
    """The ``(2, N)`` indices of the lower triangle (``col - row <= offset``), row-major."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, upper=False)


def combinations(input: Tensor, r: _int = 2, with_replacement: _bool = False) -> Tensor:
    """The length-``r`` combinations of the elements of the 1-D ``input`` (``itertools``
    order), as the rows of an ``(N, r)`` tensor; with ``with_replacement``, as
    ``combinations_with_replacement``. ``r = 0`` gives an empty 1-D tensor. Differentiable
    (an index_select)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._make(np.empty(0, dtype=input._array.dtype), None)
    choose = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    index = np.array(list(choose(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    picked = input.index_select(0, constant_tensor(index.reshape(-1)))
    return picked.reshape(index.shape[0], r)

