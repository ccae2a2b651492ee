"""Arithmetic: ``+ - * / // % **``, their named forms (``add``, ``div`` with a rounding mode,
``fmod``, ...), the products (``matmul``, ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``, ``addmm``,
``tensordot``) and
``einsum``, with PyTorch's dtype promotion and broadcasting."""

from __future__ import annotations

import math
import os
import sys
import warnings
# ``int`` is a Tensor method, so annotations use this:
from builtins import int as _int
from collections.abc import Sequence

import numpy as np

from .. import autocast_state, dtypes
from ..autocast_state import lower_precision_op
from ..autograd import graph
from ..dtypes import Number
from ..ops import Add, Div, Einsum, Fmod, Lerp, MatMul, Mul, Neg, Pow, Remainder, RoundedDiv, Sub
from ..ops.elementwise import Reciprocal, ScaledAdd
from ..ops.linalg import Cross, einsum_result_dtype, einsum_subscripts
from ..ops.opmath import HALF, opmath_dtype
from ..shapes import broadcast_error, broadcastable, normalize_dim
from .arguments import (
    _no_bool, _operands, _subtraction_operands, _tensor_argument, constant_tensor, in_opmath,
    opmath_scalar, with_opmath_scalar,
)
from .core import Tensor


class ArithmeticMethods:
    """The arithmetic methods and operators of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def add(self, other: Tensor | Number, *, alpha: Number = 1) -> Tensor:
        """``self + alpha * other``; floating operands with a real ``alpha`` rounded once, as
        PyTorch's kernel computes it (``ops.ScaledAdd``)."""
        if type(alpha) is not int or alpha != 1:  # the plain call pays one test
            operands = _operands(self, other)
            _check_alpha(operands, alpha)
            if alpha != 1:
                if _scaled_add_applies(operands, alpha):
                    return ScaledAdd.apply(*operands, alpha=alpha)
                first, second = operands
                if first._array.dtype is dtypes.bool:  # self or (alpha and other), as PyTorch
                    return first.logical_or(second if alpha else second.ne(second))
                other = other * alpha
        return Add.apply(*_operands(self, other))

    def sub(self, other: Tensor | Number, *, alpha: Number = 1) -> Tensor:
        """``self - alpha * other``; floating operands with a real ``alpha`` rounded once, as
        PyTorch's kernel computes it (``ops.ScaledAdd`` with ``-alpha``)."""
        if type(alpha) is not int or alpha != 1:  # the plain call pays one test
            operands = _subtraction_operands(self, other)
            _check_alpha(operands, alpha)
            if alpha != 1:
                if _scaled_add_applies(operands, alpha):
                    return ScaledAdd.apply(*operands, alpha=-alpha)
                other = other * alpha
        return Sub.apply(*_subtraction_operands(self, other))

    def subtract(self, other: Tensor | Number, *, alpha: Number = 1) -> Tensor:
        """``sub``: ``self - alpha * other``."""
        return self.sub(other, alpha=alpha)

    def multiply(self, other: Tensor | Number) -> Tensor:
        """``mul``: ``self * other``."""
        return self.mul(other)

    def mul(self, other: Tensor | Number) -> Tensor:
        """``self * other``, elementwise; the shapes broadcast and the dtypes promote as in PyTorch
        (``other`` may be a Python number; with a float16 ``self`` it is taken in float32 and
        the product rounded once, as in PyTorch)."""
        if self._array.dtype is HALF and opmath_scalar(other):
            return with_opmath_scalar(Mul, self, other)
        return Mul.apply(*_operands(self, other))

    def div(self, other: Tensor | Number, *, rounding_mode: str | None = None) -> Tensor:
        """``self / other``: true division (integers give the default float dtype), or rounded
        toward zero (``rounding_mode="trunc"``) or down (``"floor"``), integers kept. A number
        ``other`` of a float16 ``self`` is taken in float32 and the quotient (before ``trunc`` or
        ``floor``) computed in float32, rounded once, as PyTorch's kernels."""
        if rounding_mode is None:
            if self._array.dtype is HALF and opmath_scalar(other):
                return with_opmath_scalar(Div, self, other)
            return Div.apply(*_operands(self, other, true_division=True))
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"'{rounding_mode}'"
            )
        if self._array.dtype is HALF and opmath_scalar(other):
            return with_opmath_scalar(RoundedDiv, self, other, mode=rounding_mode)
        operands = _no_bool(f"div_{rounding_mode}_cpu", _operands(self, other))
        return RoundedDiv.apply(*operands, mode=rounding_mode)

    divide = true_divide = div

    def floor_divide(self, other: Tensor | Number) -> Tensor:
        """``self // other`` rounded toward minus infinity, as PyTorch's ``floor_divide`` since
        1.13 (``div(other, rounding_mode="floor")``); broadcasts. The gradient is zero."""
        return self.div(other, rounding_mode="floor")

    def remainder(self, other: Tensor | Number) -> Tensor:
        """The remainder with the sign of ``other`` (Python's ``%``)."""
        return Remainder.apply(*_no_bool("remainder_cpu", _operands(self, other)))

    def fmod(self, other: Tensor | Number) -> Tensor:
        """The remainder with the sign of ``self`` (C's ``fmod``, exact): ``self -
        trunc(self/other) * other``, in the operands' promoted dtype (``ops.Fmod``)."""
        return Fmod.apply(*_no_bool("fmod_cpu", _operands(self, other)))

    def __floordiv__(self, other):
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        operands = _no_bool("div_floor_cpu", _operands(self, other, reflected=True))
        return RoundedDiv.apply(*operands, mode="floor")

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return Remainder.apply(*_no_bool("remainder_cpu", _operands(self, other, reflected=True)))

    def pow(self, exponent: Tensor | Number) -> Tensor:
        """``self ** exponent``, elementwise; ``exponent`` is a number or a tensor that broadcasts
        with ``self``, and the dtypes promote as in PyTorch. Bool tensors raise.

        As in PyTorch, an integer (or bool) tensor to a negative Python integer power raises,
        while negative exponents in an integer tensor give the truncated ``1 / base**-e`` (0
        except for the bases 1 and -1)."""
        _check_integer_power(self, exponent)
        if self._array.dtype is dtypes.bool and isinstance(exponent, bool):
            # PyTorch's pow of a tensor by the number 1 copies it, by 0 fills ones
            return self.clone() if exponent else self.eq(self)
        return Pow.apply(*_no_bool("pow", _operands(self, exponent)))

    def neg(self) -> Tensor:
        """``-self``, elementwise, same shape and dtype. A bool tensor raises (PyTorch asks for
        ``~`` or ``logical_not()`` instead)."""
        if self._array.dtype is dtypes.bool:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return Neg.apply(self)

    def matmul(self, other: Tensor) -> Tensor:
        """Matrix product with NumPy's rules for 1-D, 2-D and batched operands. Both must have
        one dtype: PyTorch promotes nothing here (a float32 weight times float64 data is an
        error, not a silent float64 result)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"matmul expected a Tensor, got {type(other).__name__}")
        if autocast_state.casting:  # CPU autocast: PyTorch's lower-precision list
            self, other = autocast_state.lower_precision(self, other)
        if self._array.dtype is not other._array.dtype:
            raise RuntimeError(
                "expected m1 and m2 to have the same dtype, but got: "
                f"{dtypes.cpp_type_name(self._array.dtype)} != "
                f"{dtypes.cpp_type_name(other._array.dtype)}")
        return MatMul.apply(self, other)

    def mm(self, other: Tensor) -> Tensor:
        """Matrix product of two 2-D tensors (``matmul`` without broadcasting or 1-D rules)."""
        other = _tensor_argument(other, "mm", "mat2", 2)
        if self.ndim != 2:
            raise RuntimeError(f"self must be a matrix (got a {self.ndim}-D tensor)")
        if other.ndim != 2:
            raise RuntimeError(f"mat2 must be a matrix (got a {other.ndim}-D tensor)")
        return self.matmul(other)

    def bmm(self, other: Tensor) -> Tensor:
        """Batched matrix product: ``(b, n, k) @ (b, k, m) -> (b, n, m)``, same ``b``."""
        if self.ndim != 3:
            raise RuntimeError(f"batch1 must be a 3D tensor (got a {self.ndim}-D tensor)")
        if not isinstance(other, Tensor) or other.ndim != 3:
            got = f"a {other.ndim}-D tensor" if isinstance(other, Tensor) else type(other).__name__
            raise RuntimeError(f"batch2 must be a 3D tensor (got {got})")
        if self.shape[0] != other.shape[0]:
            raise RuntimeError(
                f"batch1 and batch2 must have same number of batches, got {self.shape[0]} and "
                f"{other.shape[0]}"
            )
        return self.matmul(other)

    def dot(self, other: Tensor) -> Tensor:
        """The inner product of two 1-D tensors of one dtype and length."""
        other = _tensor_argument(other, "dot", "tensor", 2)
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        if self._array.dtype is not other._array.dtype:
            raise RuntimeError(
                "dot : expected both vectors to have same dtype, but found "
                f"{dtypes.scalar_type_name(self.dtype)} and {dtypes.scalar_type_name(other.dtype)}")
        if self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented("dot", self._array.dtype)
        if self.shape[0] != other.shape[0]:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{self.shape[0]}] and src "
                f"[{other.shape[0]}] to have the same number of elements, but got "
                f"{self.shape[0]} and {other.shape[0]} elements respectively")
        return MatMul.apply(self, other)

    def outer(self, vec2: Tensor) -> Tensor:
        """The outer product of two 1-D tensors: ``out[i, j] = self[i] * vec2[j]``, shape
        ``(n, m)`` (dtypes promote as in ``*``)."""
        vec2 = _tensor_argument(vec2, "outer", "vec2", 1)
        for name, t in (("self", self), ("vec2", vec2)):
            if t.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
        return self.reshape(-1, 1) * vec2

    ger = outer

    def cross(self, other: Tensor, dim: _int | None = None) -> Tensor:
        """The cross product of 3-vectors along ``dim`` (the operands broadcast together; one
        dtype). ``dim=None`` takes the first dim of size 3, with PyTorch's deprecation warning
        (``linalg.cross`` defaults to the last dim instead)."""
        other = _tensor_argument(other, "cross", "other", 1)
        if dim is None:
            warnings.warn(
                "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
                "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
                "dim will change to agree with that of linalg.cross in a future release.",
                UserWarning, stacklevel=_caller_outside_package())
            dim = next((d for d, size in enumerate(self.shape) if size == 3), None)
            if dim is None:
                raise RuntimeError("no dimension of size 3 in input")
        return _cross(self, other, dim)

    def kron(self, other: Tensor) -> Tensor:
        """The Kronecker product: every element of ``self`` times the whole of ``other``,
        shape ``self.shape * other.shape`` dim by dim (the shorter shape padded with leading
        1s); dtypes promote as in ``*``."""
        other = _tensor_argument(other, "kron", "other", 1)
        ndim = max(self.ndim, other.ndim)
        a_shape = (1,) * (ndim - self.ndim) + self.shape
        b_shape = (1,) * (ndim - other.ndim) + other.shape
        a = self.reshape(tuple(size for n in a_shape for size in (n, 1)))
        b = other.reshape(tuple(size for n in b_shape for size in (1, n)))
        return (a * b).reshape(tuple(m * n for m, n in zip(a_shape, b_shape)))

    def mv(self, vec: Tensor) -> Tensor:
        """Matrix times vector: ``(n, m) @ (m,) -> (n,)``, one dtype for both."""
        vec = _tensor_argument(vec, "mv", "vec", 1)
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError("vector + matrix @ vector expected, got 1, "
                               f"{self.ndim}, {vec.ndim}")
        if self.shape[1] != vec.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({self.shape[0]}), mat "
                               f"({self.shape[0]}x{self.shape[1]}), vec ({vec.shape[0]})")
        if self._array.dtype is not vec._array.dtype:
            names = [dtypes.scalar_type_name(t._array.dtype) for t in (vec, self, vec)]
            raise RuntimeError("addmv input tensors must have the same dtype, but got "
                               f"{names[0]}, {names[1]}, and {names[2]}")
        return MatMul.apply(self, vec)

    @lower_precision_op
    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``beta * self + alpha * (mat1 @ mat2)``: ``mat1`` ``(n, k)``, ``mat2`` ``(k, m)``,
        ``self`` broadcastable to ``(n, m)``; all three of one dtype. With ``beta=0`` ``self``
        is ignored (even its NaNs), as in PyTorch; integer tensors truncate ``alpha``/``beta``.
        float16 is computed in float32 and rounded once, as PyTorch's kernel."""
        mat1 = _tensor_argument(mat1, "addmm", "mat1", 1)
        mat2 = _tensor_argument(mat2, "addmm", "mat2", 2)
        name = dtypes.scalar_type_name
        for label, t in (("self", self), ("mat1", mat1)):
            if t._array.dtype is not mat2._array.dtype:
                raise RuntimeError(f"{label} and mat2 must have the same dtype, but got "
                                   f"{name(t.dtype)} and {name(mat2.dtype)}")
        for label, t in (("mat1", mat1), ("mat2", mat2)):
            if t.ndim != 2:
                raise RuntimeError(f"{label} must be a matrix, got {t.ndim}-D tensor")
        return in_opmath(_addmm, self, mat1, mat2, beta=beta, alpha=alpha)

    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
        """``self + value * tensor1 * tensor2``, elementwise with broadcasting (integer tensors
        truncate ``value``, as in PyTorch); float16 in float32, rounded once, as PyTorch."""
        tensor1 = _tensor_argument(tensor1, "addcmul", "tensor1", 1)
        tensor2 = _tensor_argument(tensor2, "addcmul", "tensor2", 2)
        return in_opmath(_addcmul, self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
        """``self + value * tensor1 / tensor2``, elementwise with broadcasting; PyTorch refuses
        two integer ``tensor1``/``tensor2`` (its old integer division), and so does this.
        float16 is computed in float32 and rounded once, as PyTorch's kernel."""
        tensor1 = _tensor_argument(tensor1, "addcdiv", "tensor1", 1)
        tensor2 = _tensor_argument(tensor2, "addcdiv", "tensor2", 2)
        if not tensor1.is_floating_point() and not tensor2.is_floating_point():
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
        return in_opmath(_addcdiv, self, tensor1, tensor2, value=value)

    def lerp(self, end: Tensor, weight: Tensor | Number) -> Tensor:
        """Linear interpolation ``self + weight * (end - self)``, with ``weight`` a number or a
        tensor; all broadcast together. ``self``, ``end`` (and a tensor ``weight``) must share
        one floating dtype, as in PyTorch; a number ``weight`` of a float16 ``self`` is taken in
        float32, as PyTorch's kernel takes it (not rounded to float16 first)."""
        end = _tensor_argument(end, "lerp", "end", 1)
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        if not dtypes.is_floating(self._array.dtype):
            raise dtypes.not_implemented(kernel, self._array.dtype)
        for name, t in (("end", end), ("weight", weight)):
            if isinstance(t, Tensor) and t._array.dtype is not self._array.dtype:
                raise RuntimeError(
                    f"expected dtype {dtypes.cpp_type_name(self.dtype)} for `{name}` but got "
                    f"dtype {dtypes.cpp_type_name(t.dtype)}")
        if not isinstance(weight, Tensor):  # a number is kept in the opmath dtype, as PyTorch's
            weight = constant_tensor(np.asarray(weight, dtype=opmath_dtype(self._array.dtype)),
                                     weight)
        shape = self._array.shape
        for t in (end, weight):
            if not broadcastable(shape, t._array.shape):
                raise RuntimeError(broadcast_error(shape, t._array.shape))
            shape = np.broadcast_shapes(shape, t._array.shape)
        return Lerp.apply(self, end, weight)

    def __add__(self, other):
        return Add.apply(*_operands(self, other))

    def __sub__(self, other):
        return Sub.apply(*_subtraction_operands(self, other))

    __mul__ = mul
    __truediv__ = div
    __pow__ = pow
    __neg__ = neg
    __matmul__ = matmul

    def __radd__(self, other):
        return Add.apply(*_operands(self, other, reflected=True))

    def __rsub__(self, other):
        return Sub.apply(*_subtraction_operands(self, other, reflected=True))

    def __rmul__(self, other):
        if self._array.dtype is HALF and opmath_scalar(other):
            return with_opmath_scalar(Mul, self, other, reflected=True)
        return Mul.apply(*_operands(self, other, reflected=True))

    def __rtruediv__(self, other):
        # PyTorch's ``number / tensor`` is ``tensor.reciprocal() * number`` (its
        # ``Tensor.__rtruediv__``): the reciprocal rounded in the tensor's dtype (an integer or
        # bool tensor's in the default float dtype), then the product (float16: in float32,
        # rounded once). It differs from the quotient in the last bit for about a third of
        # float32 and float64 values.
        if self._array.dtype.kind not in "fc":
            self = self.to(dtypes.get_default_dtype())
        return Reciprocal.apply(self).mul(other)

    def __rpow__(self, other):
        return Pow.apply(*_no_bool("pow", _operands(self, other, reflected=True)))

    def __rmatmul__(self, other):
        return MatMul.apply(*_operands(self, other, reflected=True, broadcast=False))

    def __pos__(self):
        return self


def _einsum_sums_across(inputs, output):
    """Whether an einsum sums over a letter shared by two operands: PyTorch then contracts
    them with ``bmm`` (which autocast casts); otherwise it multiplies and sums elementwise."""
    seen = set()
    for letters in inputs:
        shared = seen & set(letters)
        if any(letter not in output for letter in shared):
            return True
        seen |= set(letters)
    return False


@lower_precision_op  # PyTorch's is a matrix product, which autocast casts
def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """The sum of products over dims ``dims`` of both: an int ``k`` contracts the last
    ``k`` dims of ``a`` with the first ``k`` of ``b``; a pair of lists (or ints) names the
    dims of each, in matching order. The result has ``a``'s other dims then ``b``'s. As
    PyTorch, the contraction is one matrix product of the two permuted and reshaped tensors,
    and a size-1 contracted dim facing a larger one is summed out first."""
    _tensor_argument(a, "tensordot", "a", 1)
    _tensor_argument(b, "tensordot", "b", 2)
    dims_a, dims_b = _tensordot_dims(dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._array.dtype is not b._array.dtype:
        raise RuntimeError("both inputs should have same dtype")
    contracted_a, contracted_b = [], []
    for given_a, given_b in zip(dims_a, dims_b):
        da, db = normalize_dim(given_a, a.ndim), normalize_dim(given_b, b.ndim)
        size_a, size_b = a.shape[da], b.shape[db]
        if size_a != size_b:
            if size_b == 1:
                a = a.sum(da, keepdim=True).to(a.dtype)  # wraps as PyTorch's
            elif size_a == 1:
                b = b.sum(db, keepdim=True).to(b.dtype)
            else:
                raise RuntimeError(
                    f"contracted dimensions need to match, but first has size {size_a} in "
                    f"dim {given_a} and second has size {size_b} in dim {given_b}")
        contracted_a.append(da)
        contracted_b.append(db)
    free_a = [d for d in range(a.ndim) if d not in contracted_a]
    free_b = [d for d in range(b.ndim) if d not in contracted_b]
    inner = math.prod(a.shape[d] for d in contracted_a)
    rows, columns = [a.shape[d] for d in free_a], [b.shape[d] for d in free_b]
    left = (a.permute(*free_a, *contracted_a) if a.ndim else a).reshape(math.prod(rows), inner)
    right = (b.permute(*contracted_b, *free_b) if b.ndim else b).reshape(inner,
                                                                        math.prod(columns))
    return left.mm(right).reshape(tuple(rows + columns))


def _caller_outside_package():
    """The ``stacklevel`` that makes a warning name the first caller outside tinygrad_bn (the
    function that warns is reached through wrappers: ``out=``, NumPy's argument names)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _cross(a, b, dim):
    """The cross product along ``dim`` of ``a`` and ``b`` (``cross`` and ``linalg.cross``),
    PyTorch's checks in its order; see ``ops.Cross``."""
    if a._array.dtype is not b._array.dtype:
        raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(a._array.dtype)} but "
                           f"found {dtypes.scalar_type_name(b._array.dtype)}")
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if not broadcastable(a.shape, b.shape):
        raise RuntimeError(broadcast_error(a.shape, b.shape))
    d = normalize_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    shape = tuple(np.broadcast_shapes(a.shape, b.shape))
    return Cross.apply(a.expand(*shape), b.expand(*shape), dim=d)


def _tensordot_dims(dims):
    """``tensordot``'s ``dims`` as two lists: an int (or a 1-element tensor) ``k`` means the
    last ``k`` dims of the first operand and the first ``k`` of the second."""
    if isinstance(dims, Tensor):
        graph.untraceable("tensordot with a tensor of dims reads the tensor's values")
        dims = dims.item() if dims.numel() == 1 else dims.tolist()
    if isinstance(dims, (tuple, list)):
        if len(dims) != 2:
            raise RuntimeError("tensordot expects dims to be a pair of lists or an int, got "
                               f"{dims}")
        return [[d] if isinstance(d, int) else list(d) for d in dims]
    if dims < 0:
        raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
    return list(range(-dims, 0)), list(range(dims))


def _check_alpha(operands, alpha):
    """PyTorch's ``alpha_check`` of ``add``/``sub``, against the result's dtype: a bool
    ``alpha`` only for a bool result, a float one only for a floating result, no complex one."""
    kind = operands[0]._array.dtype.kind
    if isinstance(alpha, (bool, np.bool_)) and kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, (float, np.floating)) and kind != "f":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if isinstance(alpha, complex):
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")


def _scaled_add_applies(operands, alpha):
    """Whether ``add``/``sub`` with ``alpha`` is one ``ScaledAdd``: floating operands (after
    promotion) and a real, non-bool ``alpha``; integers multiply and add as before."""
    return (operands[0]._array.dtype.kind == "f"
            and isinstance(alpha, (int, float, np.integer, np.floating))
            and not isinstance(alpha, (bool, np.bool_)))


def _check_integer_power(base, exponent):
    """PyTorch's refusal of an integral tensor to a negative Python integer power."""
    if (isinstance(exponent, (int, np.integer)) and not isinstance(exponent, bool)
            and exponent < 0 and base._array.dtype.kind in "biu"):
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def pow(input: Tensor | Number, exponent: Tensor | Number) -> Tensor:  # noqa: A001 - torch's
    """``input ** exponent`` (``Tensor.pow``); ``input`` may be a Python number when
    ``exponent`` is a tensor, as in ``torch.pow(2, t)``."""
    if isinstance(input, Tensor):
        return input.pow(exponent)
    if not isinstance(exponent, Tensor):
        raise TypeError(
            "pow() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(exponent).__name__}), but expected one of:\n"
            " * (Tensor input, Tensor exponent)\n * (Number self, Tensor exponent)\n"
            " * (Tensor input, Number exponent)")
    return exponent.__rpow__(input)


def _addmm(input, mat1, mat2, beta, alpha):
    """``addmm``'s computation, on arguments it has checked."""
    return _add_scaled(input, mat1.matmul(mat2), beta, alpha)


def _add_scaled(input, product, beta, alpha):
    """``beta * input + alpha * product``, the rule of ``addmm`` and its kin (``addmv``,
    ``addr``, ``baddbmm``, ``addbmm``): ``beta=0`` ignores ``input`` (even its NaNs) and integer
    inputs truncate ``alpha``/``beta``, as PyTorch."""
    input.expand(*product.shape)  # PyTorch's error when input does not broadcast to it
    if not dtypes.is_floating(input._array.dtype):
        alpha, beta = int(alpha), int(beta)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return product + (input if beta == 1 else input * beta)


def _addcmul(input, tensor1, tensor2, value):
    """``addcmul``'s computation, on arguments it has checked: ``value * tensor1`` first, as
    PyTorch's kernel, when all three share a floating dtype (the same rounding)."""
    if value != 1 and _one_floating_dtype(input, tensor1, tensor2):
        return input + tensor1 * value * tensor2
    product = tensor1 * tensor2
    if not dtypes.is_floating(product._array.dtype) and \
            not dtypes.is_floating(input._array.dtype):
        value = int(value)
    return input + (product if value == 1 else product * value)


def _addcdiv(input, tensor1, tensor2, value):
    """``addcdiv``'s computation, on arguments it has checked: ``value * tensor1`` first, as
    PyTorch's kernel, when all three share a floating dtype (the same rounding)."""
    if value != 1 and _one_floating_dtype(input, tensor1, tensor2):
        return input + tensor1 * value / tensor2
    quotient = tensor1 / tensor2
    return input + (quotient if value == 1 else quotient * value)


def _one_floating_dtype(*tensors):
    dtype = tensors[0]._array.dtype
    return dtype.kind == "f" and all(t._array.dtype is dtype for t in tensors)


def einsum(equation: str, *operands: Tensor | Sequence[Tensor]) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``. Each operand gets one
    letter per dim; letters shared by operands are multiplied along, letters missing from the
    output (after ``->``) are summed over, a letter repeated in one operand takes its diagonal,
    ``...`` stands for the remaining (broadcast) dims. Without ``->`` the output is the letters
    used once, in alphabetical order, as in PyTorch. Operands may also come as one list. The
    result dtype is PyTorch's, which follows from how it contracts (``einsum_result_dtype``):
    a sum over a letter of one operand makes integers int64, and a contraction of two operands
    is a matrix product that wants equal dtypes and refuses bool. Differentiable with respect
    to every operand."""
    if not isinstance(equation, str):
        raise TypeError("einsum(): the equation must be a string such as 'ij,jk->ik' (the "
                        "sublist format is not supported)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for position, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {position} in argument 1, but got "
                            f"{type(t).__name__}")
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    shapes = [t._array.shape for t in operands]
    inputs, output = einsum_subscripts(equation, shapes)
    if autocast_state.casting and _einsum_sums_across(inputs, output):
        operands = autocast_state.lower_precision(*operands)  # PyTorch's bmm: autocast casts it
    dtype = einsum_result_dtype(inputs, output, shapes, [t._array.dtype for t in operands])
    return Einsum.apply(*operands, equation=",".join(inputs) + "->" + output, dtype=dtype)


def rsub(input: Tensor, other: Tensor | Number, alpha: Number = 1) -> Tensor:
    """``other - alpha * input`` (``torch.rsub``, the reflected ``sub``): ``Tensor.sub`` with
    the operands swapped, ``other`` a tensor or a Python number (promoted as ``number - x``)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            "rsub() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
            " * (Tensor input, Tensor other, *, Number alpha = 1)\n"
            " * (Tensor input, Number other, Number alpha = 1)\n")
    if isinstance(other, Tensor):
        return other.sub(input, alpha=alpha)
    constant, tensor = _subtraction_operands(input, other, reflected=True)
    return constant.sub(tensor, alpha=alpha)
