"""Comparisons (``== != < <= > >=``), logical and bitwise ops, the float tests (``isnan``,
``isclose``, ...) and ``where``, which picks between two tensors by a condition.

They are ``Derived`` ops: results without a gradient, computed as recorded ops so that a jit
replay recomputes them. ``allclose`` and ``equal`` answer with a Python bool, read from the
values (a jit capture refuses them)."""

from __future__ import annotations

import numbers
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, float as _float
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd import graph
from ..dtypes import Number
from ..ops import Derived, Where
from ..shapes import broadcast_error, broadcastable
from .arguments import _operands, _tensor_argument, constant_tensor
from .core import Tensor


class ComparisonMethods:
    """The comparisons, logical and bitwise ops of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def _compare(self, other, compare):
        if not isinstance(other, (Tensor, numbers.Number, np.generic, np.ndarray, list, tuple)):
            return NotImplemented  # so that `tensor == None` is False, as in PyTorch
        return Derived.apply(*_operands(self, other), function=compare)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def _order(self, other, compare, kernel):
        """``< <= > >=``: ``_compare``, refused for complex operands as PyTorch refuses."""
        if self._array.dtype.kind == "c" or isinstance(other, complex) or (
                isinstance(other, Tensor) and other._array.dtype.kind == "c"):
            raise dtypes.not_implemented(kernel, dtypes.promote(
                self._array.dtype, other._array.dtype if isinstance(other, Tensor)
                else dtypes.scalar_dtype(other, self._array.dtype)))
        return self._compare(other, compare)

    def __lt__(self, other):
        return self._order(other, np.less, "lt_cpu")

    def __le__(self, other):
        return self._order(other, np.less_equal, "le_cpu")

    def __gt__(self, other):
        return self._order(other, np.greater, "gt_cpu")

    def __ge__(self, other):
        return self._order(other, np.greater_equal, "ge_cpu")

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    # Tensors are hashed by identity (as dict keys, in sets) although ``==`` compares values.
    __hash__ = object.__hash__

    def _bitwise(self, other, function, name):
        """``& | ^`` on bool or integer tensors (no gradient), as PyTorch's bitwise ops."""
        a, b = _operands(self, other)
        for t in (a, b):
            if t._array.dtype.kind not in "biu":
                raise dtypes.not_implemented(f"{name}_cpu", t._array.dtype)
        return Derived.apply(a, b, function=function)

    def __and__(self, other):
        return self._bitwise(other, np.bitwise_and, "bitwise_and")

    def __or__(self, other):
        return self._bitwise(other, np.bitwise_or, "bitwise_or")

    def __xor__(self, other):
        return self._bitwise(other, np.bitwise_xor, "bitwise_xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __lshift__(self, other):
        return self._shift(other, "lshift", left=True)

    def __rshift__(self, other):
        return self._shift(other, "rshift", left=False)

    def __rlshift__(self, other):
        return self._shift(other, "lshift", left=True, reflected=True)

    def __rrshift__(self, other):
        return self._shift(other, "rshift", left=False, reflected=True)

    def _shift(self, other, kernel, left, reflected=False):
        """``<<``/``>>`` on integer tensors as PyTorch's shifts: a shift by a negative count or
        by the width of the dtype or more gives 0 (``>>`` of a negative number: -1); a left
        shift wraps around in two's complement."""
        a, b = _operands(self, other, reflected=reflected)
        if a._array.dtype.kind not in "iu":
            raise dtypes.not_implemented(f"{kernel}_cpu", a._array.dtype)
        return Derived.apply(a, b, function=_left_shift if left else _right_shift)

    def bitwise_and(self, other: Tensor | Number) -> Tensor:
        """``self & other`` on bool or integer tensors."""
        return self & other

    def bitwise_or(self, other: Tensor | Number) -> Tensor:
        """``self | other`` on bool or integer tensors."""
        return self | other

    def bitwise_xor(self, other: Tensor | Number) -> Tensor:
        """``self ^ other`` on bool or integer tensors."""
        return self ^ other

    def bitwise_not(self) -> Tensor:
        """``~self``: each bit flipped (a bool tensor: logical not)."""
        if self._array.dtype.kind not in "biu":
            raise dtypes.not_implemented("bitwise_not_cpu", self._array.dtype)
        return ~self

    def bitwise_left_shift(self, other: Tensor | Number) -> Tensor:
        """``self << other`` (see ``__lshift__``)."""
        return self << other

    def bitwise_right_shift(self, other: Tensor | Number) -> Tensor:
        """``self >> other`` (see ``__rshift__``)."""
        return self >> other

    def gcd(self, other: Tensor) -> Tensor:
        """The greatest common divisor of each pair (non-negative), integer tensors only."""
        return self._integer_pairwise(other, np.gcd, "gcd")

    def lcm(self, other: Tensor) -> Tensor:
        """The least common multiple of each pair (non-negative), integer tensors only."""
        return self._integer_pairwise(other, np.lcm, "lcm")

    def _integer_pairwise(self, other, function, name):
        a, b = _operands(self, _tensor_argument(other, name, "other", 2))
        if a._array.dtype.kind not in "iu":
            raise dtypes.not_implemented(f"{name}_cpu", a._array.dtype)
        return Derived.apply(a, b, function=function)

    def greater(self, other: Tensor | Number) -> Tensor:
        """``gt``."""
        return self.gt(other)

    def greater_equal(self, other: Tensor | Number) -> Tensor:
        """``ge``."""
        return self.ge(other)

    def less(self, other: Tensor | Number) -> Tensor:
        """``lt``."""
        return self.lt(other)

    def less_equal(self, other: Tensor | Number) -> Tensor:
        """``le``."""
        return self.le(other)

    def not_equal(self, other: Tensor | Number) -> Tensor:
        """``ne``."""
        return self.ne(other)

    def logical_not(self) -> Tensor:
        """Whether each element is zero, as a bool tensor (for any dtype)."""
        return Derived.apply(self, function=np.logical_not)

    def logical_and(self, other: Tensor | Number) -> Tensor:
        """Whether both elements are nonzero, as a bool tensor (any dtypes, broadcast)."""
        return self._logical(other, np.logical_and, "logical_and")

    def logical_or(self, other: Tensor | Number) -> Tensor:
        """Whether either element is nonzero, as a bool tensor."""
        return self._logical(other, np.logical_or, "logical_or")

    def logical_xor(self, other: Tensor | Number) -> Tensor:
        """Whether exactly one of the two elements is nonzero, as a bool tensor."""
        return self._logical(other, np.logical_xor, "logical_xor")

    def _logical(self, other, function, name):
        other = _tensor_argument(other, name, "other", 2)
        if not broadcastable(self._array.shape, other._array.shape):
            raise RuntimeError(broadcast_error(self._array.shape, other._array.shape))
        return Derived.apply(self, other, function=function)

    def __invert__(self):
        if self._array.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                            "tensors")
        return Derived.apply(self, function=np.invert)

    def isnan(self) -> Tensor:
        """A bool tensor of the same shape, True where the value is nan. Not differentiable
        (outside the graph), as in PyTorch."""
        return Derived.apply(self, function=np.isnan)

    def isinf(self) -> Tensor:
        """A bool tensor of the same shape, True where the value is ``+inf`` or ``-inf``. Not
        differentiable (outside the graph), as in PyTorch."""
        return Derived.apply(self, function=np.isinf)

    def isfinite(self) -> Tensor:
        """A bool tensor of the same shape, True where the value is neither inf nor nan. Not
        differentiable (outside the graph), as in PyTorch."""
        return Derived.apply(self, function=np.isfinite)

    def isposinf(self) -> Tensor:
        """A bool tensor, True where the value is ``+inf``."""
        return Derived.apply(self, function=np.isposinf)

    def isneginf(self) -> Tensor:
        """A bool tensor, True where the value is ``-inf``."""
        return Derived.apply(self, function=np.isneginf)

    def isreal(self) -> Tensor:
        """A bool tensor, True everywhere: every value of a real tensor is real."""
        return Derived.apply(self, function=np.isreal)

    def isclose(self, other: Tensor | Number, rtol: _float = 1e-05, atol: _float = 1e-08,
                equal_nan: _bool = False) -> Tensor:
        """Elementwise ``|self - other| <= atol + rtol * |other|`` (PyTorch's and NumPy's rule).
        As in PyTorch, ``other`` is a tensor of this tensor's dtype (a number is refused) and
        the tolerances are not negative."""
        other = _tensor_argument(other, "isclose", "other", 2)
        if other._array.dtype is not self._array.dtype:
            raise RuntimeError(f"{dtypes.scalar_type_name(self._array.dtype)} did not match "
                               f"{dtypes.scalar_type_name(other._array.dtype)}")
        for name, value in (("rtol", rtol), ("atol", atol)):
            if value < 0:
                raise RuntimeError(f"{name} must be greater than or equal to zero, but got "
                                   f"{value:g}")
        return Derived.apply(*_operands(self, other), function=np.isclose,
                             keywords={"rtol": rtol, "atol": atol, "equal_nan": equal_nan})

    def allclose(self, other: Tensor | Number, rtol: _float = 1e-05, atol: _float = 1e-08,
                 equal_nan: _bool = False) -> _bool:
        """Whether ``isclose`` holds everywhere, as a Python bool (read from the values: a jit
        capture refuses it)."""
        _tensor_argument(other, "allclose", "other", 2)
        return bool(self.isclose(other, rtol, atol, equal_nan).all())

    def where(self, condition: Tensor, other: Tensor | Number) -> Tensor:
        """``where(condition, self, other)``: this tensor's values where ``condition`` holds,
        ``other``'s elsewhere (PyTorch's ``Tensor.where``)."""
        return where(condition, self, other)

    def equal(self, other: Tensor) -> _bool:
        """Whether ``other`` has the same shape and the same values, as a Python bool (read
        from the values: a jit capture refuses it)."""
        if self.shape != other.shape:
            return False
        if graph.tracer is not None:
            graph.tracer.read_value(self, "Tensor.equal()")
        return bool((self._array == other._array).all())


def where(condition: Tensor | Any, input: Tensor | Number | None = None,
          other: Tensor | Number | None = None) -> Tensor | tuple[Tensor, ...]:
    """Elementwise ``input`` where ``condition`` holds, else ``other`` (either may be a scalar);
    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``, as PyTorch's."""
    if input is None or other is None:
        if input is None and other is None:
            return (condition if isinstance(condition, Tensor) else Tensor(condition)).nonzero(
                as_tuple=True)
        given = ", ".join(type(a).__name__ for a in (condition, input, other) if a is not None)
        raise TypeError(f"where() received an invalid combination of arguments - got ({given}), "
                        f"but expected one of:\n * (Tensor condition)\n * (Tensor condition, "
                        f"Tensor input, Tensor other, *, Tensor out = None)")
    if not isinstance(condition, Tensor):
        condition = Tensor(condition)
    if condition._array.dtype is not dtypes.bool:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{dtypes.scalar_type_name(condition._array.dtype)}"
        )
    if isinstance(input, Tensor):
        input, other = _operands(input, other, broadcast=False)
    elif isinstance(other, Tensor):
        input, other = _operands(other, input, reflected=True, broadcast=False)
    else:  # two numbers: PyTorch's scalar type rules pick the dtype
        for value in (input, other):
            if not isinstance(value, numbers.Number):
                raise TypeError(
                    f"where(): expected a Tensor or a number, got {type(value).__name__}")
        kind = bool if all(isinstance(v, bool) for v in (input, other)) else (
            int if all(isinstance(v, numbers.Integral) for v in (input, other)) else float)
        dtype = {bool: dtypes.bool, int: dtypes.int64}.get(kind, dtypes.get_default_dtype())
        input = constant_tensor(np.asarray(input, dtype=dtype), input)
        other = constant_tensor(np.asarray(other, dtype=dtype), other)
    shapes = (condition._array.shape, input._array.shape, other._array.shape)
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            f"where: the shapes of condition {shapes[0]}, input {shapes[1]} and other "
            f"{shapes[2]} do not broadcast"
        ) from None
    return Where.apply(condition, input, other)


def _left_shift(a, counts):
    """``a << counts`` with PyTorch's rule for counts outside ``[0, bits)``: 0."""
    bits = a.dtype.itemsize * 8
    inside = (counts >= 0) & (counts < bits)
    shifted = np.left_shift(a, np.where(inside, counts, 0).astype(a.dtype, copy=False))
    return np.where(inside, shifted, np.zeros((), a.dtype))


def _right_shift(a, counts):
    """``a >> counts`` (arithmetic) with PyTorch's rule for counts outside ``[0, bits)``: the
    sign, -1 for a negative ``a`` and 0 otherwise."""
    bits = a.dtype.itemsize * 8
    inside = (counts >= 0) & (counts < bits)
    shifted = np.right_shift(a, np.where(inside, counts, 0).astype(a.dtype, copy=False))
    return np.where(inside, shifted, np.where(a < 0, -1, 0).astype(a.dtype, copy=False))


def bitwise_and(input: Tensor | Number, other: Tensor | Number) -> Tensor:
    """``input & other``; ``input`` may be a number when ``other`` is a tensor."""
    return _bitwise_function("bitwise_and", input, other, "__and__", "__rand__")


def bitwise_or(input: Tensor | Number, other: Tensor | Number) -> Tensor:
    """``input | other``; ``input`` may be a number when ``other`` is a tensor."""
    return _bitwise_function("bitwise_or", input, other, "__or__", "__ror__")


def bitwise_xor(input: Tensor | Number, other: Tensor | Number) -> Tensor:
    """``input ^ other``; ``input`` may be a number when ``other`` is a tensor."""
    return _bitwise_function("bitwise_xor", input, other, "__xor__", "__rxor__")


def bitwise_left_shift(input: Tensor | Number, other: Tensor | Number) -> Tensor:
    """``input << other``; ``input`` may be a number when ``other`` is a tensor."""
    return _bitwise_function("bitwise_left_shift", input, other, "__lshift__", "__rlshift__")


def bitwise_right_shift(input: Tensor | Number, other: Tensor | Number) -> Tensor:
    """``input >> other``; ``input`` may be a number when ``other`` is a tensor."""
    return _bitwise_function("bitwise_right_shift", input, other, "__rshift__", "__rrshift__")


def _bitwise_function(name, input, other, method, reflected):
    """The module-level form of a bitwise op: PyTorch's overloads (tensor, tensor),
    (number, tensor) and (tensor, number); two numbers raise its TypeError."""
    if isinstance(input, Tensor):
        return getattr(input, method)(other)
    if isinstance(other, Tensor):
        return getattr(other, reflected)(input)
    raise TypeError(f"{name}() received an invalid combination of arguments - got "
                    f"({type(input).__name__}, {type(other).__name__}), but expected one of:\n"
                    f" * (Tensor input, Tensor other, *, Tensor out = None)\n"
                    f" * (Number self, Tensor other)\n"
                    f" * (Tensor input, Number other, *, Tensor out = None)")
