"""The in-place forms of out-of-place ops that ``inplace`` does not define itself: the
elementwise functions (``sin_``, ``floor_``, ...), the binary ones (``atan2_``, ``fmod_``,
``lerp_``, ``addcmul_``, ...), comparisons and logical ops (``eq_``, ``logical_and_``), scans
(``cumsum_``), triangles (``tril_``), ``swapaxes_``, the scatters (``scatter_``,
``scatter_add_``), ``index_add_``/``index_copy_``/``index_fill_``, ``xlogy_``, ``nan_to_num_``,
``frac_``, ``sinc_`` and ``renorm_``.

Each is ``self._write(Tensor.op, ...)`` (see ``InPlaceMethods._write``), so PyTorch's in-place
rules hold for all: the result is written into this tensor's memory in its dtype (a result that
cannot be cast, a float into an integer tensor, raises), the version goes up, a leaf that
requires grad refuses, and autograd differentiates through the write."""

from __future__ import annotations

# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, float as _float, int as _int

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import thread_state
from ..dtypes import DTypeLike, Number
from .arguments import constant_tensor
from .comparison import where
from .core import Tensor
from .indexing import _warned, warn_reduce_with_tensor_src  # noqa: F401 (_warned: tests)


class InPlaceFormsMethods:
    """More in-place methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``). Each docstring names the out-of-place op it writes."""

    # ------------------------------------------------------------------ one argument

    def sin_(self) -> Tensor:
        """In-place ``sin``."""
        return self._write(Tensor.sin)

    def cos_(self) -> Tensor:
        """In-place ``cos``."""
        return self._write(Tensor.cos)

    def tan_(self) -> Tensor:
        """In-place ``tan``."""
        return self._write(Tensor.tan)

    def asin_(self) -> Tensor:
        """In-place ``asin``; ``arcsin_`` is the same method."""
        return self._write(Tensor.asin)

    def acos_(self) -> Tensor:
        """In-place ``acos``; ``arccos_`` is the same method."""
        return self._write(Tensor.acos)

    def atan_(self) -> Tensor:
        """In-place ``atan``; ``arctan_`` is the same method."""
        return self._write(Tensor.atan)

    arcsin_, arccos_, arctan_ = asin_, acos_, atan_

    def sinh_(self) -> Tensor:
        """In-place ``sinh``."""
        return self._write(Tensor.sinh)

    def cosh_(self) -> Tensor:
        """In-place ``cosh``."""
        return self._write(Tensor.cosh)

    def asinh_(self) -> Tensor:
        """In-place ``asinh``; ``arcsinh_`` is the same method."""
        return self._write(Tensor.asinh)

    def acosh_(self) -> Tensor:
        """In-place ``acosh``; ``arccosh_`` is the same method."""
        return self._write(Tensor.acosh)

    def atanh_(self) -> Tensor:
        """In-place ``atanh``; ``arctanh_`` is the same method."""
        return self._write(Tensor.atanh)

    arcsinh_, arccosh_, arctanh_ = asinh_, acosh_, atanh_

    def reciprocal_(self) -> Tensor:
        """In-place ``reciprocal``: ``1 / self`` (an integer tensor refuses the float result)."""
        return self._write(Tensor.reciprocal)

    def deg2rad_(self) -> Tensor:
        """In-place ``deg2rad``."""
        return self._write(Tensor.deg2rad)

    def rad2deg_(self) -> Tensor:
        """In-place ``rad2deg``."""
        return self._write(Tensor.rad2deg)

    def sgn_(self) -> Tensor:
        """In-place ``sgn`` (``sign``)."""
        return self._write(Tensor.sign)

    def fix_(self) -> Tensor:
        """In-place ``fix`` (``trunc``)."""
        return self._write(Tensor.trunc)

    def absolute_(self) -> Tensor:
        """In-place ``absolute`` (``abs``)."""
        return self.abs_()

    def negative_(self) -> Tensor:
        """In-place ``negative`` (``neg``)."""
        return self.neg_()

    def expm1_(self) -> Tensor:
        """In-place ``expm1``: ``exp(x) - 1``."""
        return self._write(Tensor.expm1)

    def log1p_(self) -> Tensor:
        """In-place ``log1p``: ``log(1 + x)``."""
        return self._write(Tensor.log1p)

    def log2_(self) -> Tensor:
        """In-place ``log2``."""
        return self._write(Tensor.log2)

    def log10_(self) -> Tensor:
        """In-place ``log10``."""
        return self._write(Tensor.log10)

    def rsqrt_(self) -> Tensor:
        """In-place ``rsqrt``: ``1 / sqrt(x)``."""
        return self._write(Tensor.rsqrt)

    def square_(self) -> Tensor:
        """In-place ``square``: ``x * x``."""
        return self._write(Tensor.square)

    def erf_(self) -> Tensor:
        """In-place ``erf``."""
        return self._write(Tensor.erf)

    def erfinv_(self) -> Tensor:
        """In-place ``erfinv``."""
        return self._write(Tensor.erfinv)

    def logit_(self, eps: _float | None = None) -> Tensor:
        """In-place ``logit``: ``log(p / (1 - p))``, ``p`` clamped to ``[eps, 1 - eps]`` when
        ``eps`` is given."""
        return self._write(Tensor.logit, eps)

    def sign_(self) -> Tensor:
        """In-place ``sign`` (its gradient is zero)."""
        return self._write(Tensor.sign)

    def floor_(self) -> Tensor:
        """In-place ``floor`` (its gradient is zero)."""
        return self._write(Tensor.floor)

    def ceil_(self) -> Tensor:
        """In-place ``ceil`` (its gradient is zero)."""
        return self._write(Tensor.ceil)

    def trunc_(self) -> Tensor:
        """In-place ``trunc`` (its gradient is zero)."""
        return self._write(Tensor.trunc)

    def round_(self, *, decimals: _int | None = None) -> Tensor:
        """In-place ``round``: halves to even, to ``decimals`` places when given, as ``round``
        (its gradient is zero)."""
        return self._write(Tensor.round, decimals=decimals)

    # ------------------------------------------------------------------ two arguments and more

    def atan2_(self, other: Tensor) -> Tensor:
        """In-place ``atan2(self, other)``; ``arctan2_`` is the same method."""
        return self._write(Tensor.atan2, other)

    arctan2_ = atan2_

    def hypot_(self, other: Tensor) -> Tensor:
        """In-place ``hypot``: ``sqrt(self**2 + other**2)``."""
        return self._write(Tensor.hypot, other)

    def copysign_(self, other: Tensor | Number) -> Tensor:
        """In-place ``copysign``: ``|self|`` with the sign of ``other``."""
        return self._write(Tensor.copysign, other)

    def float_power_(self, exponent: Tensor | Number) -> Tensor:
        """In-place ``float_power``: only a float64 tensor can hold its result, as in
        PyTorch."""
        if self._array.dtype is not dtypes.float64:
            raise RuntimeError(f"the base given to float_power_ has dtype "
                               f"{dtypes.scalar_type_name(self._array.dtype)} but the "
                               f"operation's result requires dtype Double")
        return self._write(Tensor.float_power, exponent)

    def nextafter_(self, other: Tensor) -> Tensor:
        """In-place ``nextafter``."""
        return self._write(Tensor.nextafter, other)

    def multiply_(self, other: Tensor | Number) -> Tensor:
        """In-place ``multiply`` (``mul``)."""
        return self.mul_(other)

    def subtract_(self, other: Tensor | Number, *, alpha: Number = 1) -> Tensor:
        """In-place ``subtract`` (``sub``)."""
        return self.sub_(other, alpha=alpha)

    def bitwise_and_(self, other: Tensor | Number) -> Tensor:
        """In-place ``bitwise_and`` (``self &= other``)."""
        return self._write(Tensor.bitwise_and, other)

    def bitwise_or_(self, other: Tensor | Number) -> Tensor:
        """In-place ``bitwise_or`` (``self |= other``)."""
        return self._write(Tensor.bitwise_or, other)

    def bitwise_xor_(self, other: Tensor | Number) -> Tensor:
        """In-place ``bitwise_xor`` (``self ^= other``)."""
        return self._write(Tensor.bitwise_xor, other)

    def bitwise_not_(self) -> Tensor:
        """In-place ``bitwise_not``."""
        return self._write(Tensor.bitwise_not)

    def bitwise_left_shift_(self, other: Tensor | Number) -> Tensor:
        """In-place ``bitwise_left_shift`` (``self <<= other``)."""
        return self._write(Tensor.bitwise_left_shift, other)

    def bitwise_right_shift_(self, other: Tensor | Number) -> Tensor:
        """In-place ``bitwise_right_shift`` (``self >>= other``)."""
        return self._write(Tensor.bitwise_right_shift, other)

    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_

    def gcd_(self, other: Tensor) -> Tensor:
        """In-place ``gcd``."""
        return self._write(Tensor.gcd, other)

    def lcm_(self, other: Tensor) -> Tensor:
        """In-place ``lcm``."""
        return self._write(Tensor.lcm, other)

    def fmod_(self, other: Tensor | Number) -> Tensor:
        """In-place ``fmod``: the remainder with the sign of ``self``."""
        return self._write(Tensor.fmod, other)

    def remainder_(self, other: Tensor | Number) -> Tensor:
        """In-place ``remainder``: the remainder with the sign of ``other`` (Python's ``%``)."""
        return self._write(Tensor.remainder, other)

    def floor_divide_(self, other: Tensor | Number) -> Tensor:
        """In-place ``floor_divide``: ``self // other``."""
        return self._write(Tensor.floor_divide, other)

    def divide_(self, other: Tensor | Number, *, rounding_mode: str | None = None) -> Tensor:
        """In-place ``divide``: ``self / other``, rounded as ``rounding_mode`` says (None,
        ``"trunc"`` or ``"floor"``). ``true_divide_`` is the same method."""
        return self._write(Tensor.divide, other, rounding_mode=rounding_mode)

    true_divide_ = divide_

    def lerp_(self, end: Tensor, weight: Tensor | Number) -> Tensor:
        """In-place ``lerp``: ``self + weight * (end - self)``."""
        return self._write(Tensor.lerp, end, weight)

    def addcmul_(self, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
        """In-place ``addcmul``: ``self + value * tensor1 * tensor2``."""
        return self._write(Tensor.addcmul, tensor1, tensor2, value=value)

    def addcdiv_(self, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
        """In-place ``addcdiv``: ``self + value * tensor1 / tensor2``."""
        return self._write(Tensor.addcdiv, tensor1, tensor2, value=value)

    def addmm_(self, mat1: Tensor, mat2: Tensor, *, beta: Number = 1,
               alpha: Number = 1) -> Tensor:
        """In-place ``addmm``: ``beta * self + alpha * (mat1 @ mat2)``."""
        return self._write(Tensor.addmm, mat1, mat2, beta=beta, alpha=alpha)

    # ------------------------------------------------------------------ comparisons and logic

    def eq_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where ``self == other``, else 0, in this tensor's dtype. As in PyTorch a
        tensor in the graph stays in it, with a zero gradient."""
        return self._write(_truth, Tensor.eq, other)

    def ne_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where ``self != other``, else 0, in this tensor's dtype (zero gradient)."""
        return self._write(_truth, Tensor.ne, other)

    def lt_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where ``self < other``, else 0, in this tensor's dtype (zero gradient)."""
        return self._write(_truth, Tensor.lt, other)

    def le_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where ``self <= other``, else 0, in this tensor's dtype (zero gradient)."""
        return self._write(_truth, Tensor.le, other)

    def gt_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where ``self > other``, else 0, in this tensor's dtype (zero gradient)."""
        return self._write(_truth, Tensor.gt, other)

    def ge_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where ``self >= other``, else 0, in this tensor's dtype (zero gradient)."""
        return self._write(_truth, Tensor.ge, other)

    def greater_(self, other: Tensor | Number) -> Tensor:
        """In-place ``greater`` (``gt_``)."""
        return self.gt_(other)

    def greater_equal_(self, other: Tensor | Number) -> Tensor:
        """In-place ``greater_equal`` (``ge_``)."""
        return self.ge_(other)

    def less_(self, other: Tensor | Number) -> Tensor:
        """In-place ``less`` (``lt_``)."""
        return self.lt_(other)

    def less_equal_(self, other: Tensor | Number) -> Tensor:
        """In-place ``less_equal`` (``le_``)."""
        return self.le_(other)

    def not_equal_(self, other: Tensor | Number) -> Tensor:
        """In-place ``not_equal`` (``ne_``)."""
        return self.ne_(other)

    def logical_not_(self) -> Tensor:
        """In place: 1 where ``self`` is zero, else 0, in this tensor's dtype (zero gradient)."""
        return self._write(_truth, Tensor.logical_not)

    def logical_and_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where both are nonzero, else 0, in this tensor's dtype (zero gradient)."""
        return self._write(_truth, Tensor.logical_and, other)

    def logical_or_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where either is nonzero, else 0, in this tensor's dtype (zero
        gradient)."""
        return self._write(_truth, Tensor.logical_or, other)

    def logical_xor_(self, other: Tensor | Number) -> Tensor:
        """In place: 1 where exactly one is nonzero, else 0, in this tensor's dtype (zero
        gradient)."""
        return self._write(_truth, Tensor.logical_xor, other)

    # ------------------------------------------------------------------ scans, triangles, views

    def cumsum_(self, dim: _int, *, dtype: DTypeLike | None = None) -> Tensor:
        """In-place ``cumsum`` along ``dim``; ``dtype``, if given, must be this tensor's."""
        _check_scan_dtype(self, dtype)
        return self._write(Tensor.cumsum, dim)

    def cumprod_(self, dim: _int, *, dtype: DTypeLike | None = None) -> Tensor:
        """In-place ``cumprod`` along ``dim``; ``dtype``, if given, must be this tensor's."""
        _check_scan_dtype(self, dtype)
        return self._write(Tensor.cumprod, dim)

    def tril_(self, diagonal: _int = 0) -> Tensor:
        """In-place ``tril``: zeros above the ``diagonal`` of the last two dims."""
        return self._write(Tensor.tril, diagonal)

    def triu_(self, diagonal: _int = 0) -> Tensor:
        """In-place ``triu``: zeros below the ``diagonal`` of the last two dims."""
        return self._write(Tensor.triu, diagonal)

    def swapaxes_(self, axis0: _int, axis1: _int) -> Tensor:
        """``transpose_``: this tensor sees its memory with two dims swapped."""
        return self._view_in_place(Tensor.transpose, axis0, axis1)

    def swapdims_(self, dim0: _int, dim1: _int) -> Tensor:
        """``transpose_``: this tensor sees its memory with two dims swapped."""
        return self._view_in_place(Tensor.transpose, dim0, dim1)

    # ------------------------------------------------------------------ scatters

    def scatter_(self, dim: _int, index: Tensor, src: Tensor | Number, *,
                 reduce: str | None = None) -> Tensor:
        """In-place ``scatter``: ``self[index[i][j]][j] = src[i][j]`` for ``dim=0`` (likewise
        along any dim); ``src`` is a tensor of this dtype or a number. With ``reduce="add"`` or
        ``"multiply"`` the values are added or multiplied in instead (repeated positions
        accumulate); as in PyTorch that form has no gradient, and with a tensor ``src`` it is
        deprecated (a warning, once)."""
        if reduce is None:
            return self._write(Tensor.scatter, dim, index, src)
        return self._scatter_reduce_(dim, index, src, reduce)

    def scatter_add_(self, dim: _int, index: Tensor, src: Tensor) -> Tensor:
        """In-place ``scatter_add``: ``src`` added at the positions ``index`` names along
        ``dim`` (repeated positions add up)."""
        return self._write(Tensor.scatter_add, dim, index, src)

    def xlogy_(self, other: Tensor | Number) -> Tensor:
        """In-place ``xlogy``."""
        return self._write(Tensor.xlogy, other)

    def nan_to_num_(self, nan: _float = 0.0, posinf: _float | None = None,
                    neginf: _float | None = None) -> Tensor:
        """In-place ``nan_to_num``."""
        return self._write(Tensor.nan_to_num, nan, posinf, neginf)

    def frac_(self) -> Tensor:
        """In-place ``frac``."""
        return self._write(Tensor.frac)

    def sinc_(self) -> Tensor:
        """In-place ``sinc``."""
        return self._write(Tensor.sinc)

    def renorm_(self, p: Number, dim: _int, maxnorm: Number) -> Tensor:
        """In-place ``renorm``."""
        return self._write(Tensor.renorm, p, dim, maxnorm)

    def index_add_(self, dim: _int, index: Tensor, source: Tensor, *,
                   alpha: Number = 1) -> Tensor:
        """In-place ``index_add``: ``alpha * source`` added into the slices at ``index``."""
        return self._write(Tensor.index_add, dim, index, source, alpha=alpha)

    def index_copy_(self, dim: _int, index: Tensor, source: Tensor) -> Tensor:
        """In-place ``index_copy``: the slices at ``index`` replaced by ``source``'s."""
        return self._write(Tensor.index_copy, dim, index, source)

    def index_fill_(self, dim: _int, index: Tensor, value: Tensor | Number) -> Tensor:
        """In-place ``index_fill``: the slices at ``index`` filled with ``value``."""
        return self._write(Tensor.index_fill, dim, index, value)

    def scatter_reduce_(self, dim: _int, index: Tensor, src: Tensor, reduce: str, *,
                        include_self: _bool = True) -> Tensor:
        """In-place ``scatter_reduce``: ``src`` reduced into the positions ``index`` names
        along ``dim`` by ``reduce`` (differentiable, as the out-of-place form)."""
        return self._write(Tensor.scatter_reduce, dim, index, src, reduce,
                           include_self=include_self)

    def _scatter_reduce_(self, dim, index, src, reduce):
        result = self.detach()._scatter(dim, index, src, True, reduce)  # checks, computes
        if isinstance(src, Tensor):
            warn_reduce_with_tensor_src(stacklevel=5)  # the caller of scatter_
        if thread_state.grad_enabled and (
                self._requires_grad or (isinstance(src, Tensor) and src._requires_grad)):
            self._check_recorded_write()
            raise RuntimeError("derivative for aten::scatter_ is not implemented")
        self._store(result._array)
        return self


def _truth(old, predicate, *args):
    """``predicate(old, *args)`` (a boolean tensor) as 1 and 0 in ``old``'s dtype, with a zero
    gradient for ``old`` and each tensor argument that requires grad: a comparison in place
    keeps the tensor in the graph, as in PyTorch."""
    values = predicate(old, *args).to(old._array.dtype)
    never = None
    for operand in (old, *args):
        if isinstance(operand, Tensor) and operand._requires_grad:
            if never is None:
                never = constant_tensor(np.zeros(values._array.shape, dtype=bool))
            values = where(never, operand, values)
    return values


def _check_scan_dtype(tensor, dtype):
    if dtype is not None and dtypes.canonical(dtype) is not tensor._array.dtype:
        raise RuntimeError(
            f"Bad in-place call: input tensor dtype {dtypes.cpp_type_name(tensor._array.dtype)} "
            f"and output tensor dtype {dtypes.cpp_type_name(dtypes.canonical(dtype))} should "
            "match")
