"""Elementwise math: ``exp``, ``log``, the trigonometric and hyperbolic functions, rounding,
``relu``, ``abs``, ``clamp``, ``maximum``/``minimum``. Integer and bool inputs of the float
functions give the default float dtype, as in PyTorch."""

from __future__ import annotations

import math
import numbers
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import float as _float, int as _int

import numpy as np

from .. import dtypes
from ..dtypes import Number
from ..ops import (
    Abs, Acos, Asin, Atan, Atan2, Ceil, Clamp, Clone, Cos, Cosh, Derived, Erf, Erfinv, Exp, Expm1,
    Floor, Hypot, Log, Log1p, Log2, Log10, LogAddExp, Logit, Maximum, Minimum, ReLU, Round, Rsqrt,
    Sigmoid, Sign, Sin, Sinh, Sqrt, Tan, Tanh, Trunc, XLogY,
)
from ..ops.elementwise import (
    Acosh, Asinh, Atanh, Copysign, NanIgnoringExtremum, NextAfter, Reciprocal,
)
from .arguments import _operands, _tensor_argument, constant_tensor, in_opmath
from .comparison import where
from .core import Tensor


class ElementwiseMethods:
    """The elementwise math of ``Tensor``, which takes these methods as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def _floating(self):
        """This tensor, or for an integer or bool one its values in the default float dtype:
        PyTorch's float functions (``exp``, ``sin``, ...) give floats for any input."""
        if self._array.dtype.kind in "fc":  # complex stays complex
            return self
        return self.to(dtypes.get_default_dtype())

    def exp(self) -> Tensor:
        """``e ** self``, elementwise, same shape; integer and bool inputs give the default float
        dtype, as in PyTorch."""
        return Exp.apply(self._floating())

    def log(self) -> Tensor:
        """Natural logarithm, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch. ``log(0)`` is ``-inf`` and a negative input gives nan, as in
        PyTorch."""
        return Log.apply(self._floating())

    def sqrt(self) -> Tensor:
        """``self ** 0.5``, elementwise, same shape; integer and bool inputs give the default float
        dtype, as in PyTorch. A negative input gives nan."""
        return Sqrt.apply(self._floating())

    def tanh(self) -> Tensor:
        """Hyperbolic tangent, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch. The gradient is ``1 - tanh(self)**2``."""
        return Tanh.apply(self._floating())

    def sigmoid(self) -> Tensor:
        """The logistic function ``1 / (1 + exp(-self))``, elementwise, same shape; integer and
        bool inputs give the default float dtype, as in PyTorch. The gradient is ``sigmoid(self) *
        (1 - sigmoid(self))``."""
        return Sigmoid.apply(self._floating())

    def sin(self) -> Tensor:
        """``sin(self)`` in radians, elementwise, same shape; integer and bool inputs give the
        default float dtype, as in PyTorch."""
        return Sin.apply(self._floating())

    def cos(self) -> Tensor:
        """``cos(self)`` in radians, elementwise, same shape; integer and bool inputs give the
        default float dtype, as in PyTorch."""
        return Cos.apply(self._floating())

    def log2(self) -> Tensor:
        """Base-2 logarithm, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch."""
        return Log2.apply(self._floating())

    def log10(self) -> Tensor:
        """Base-10 logarithm, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch."""
        return Log10.apply(self._floating())

    def log1p(self) -> Tensor:
        """``log(1 + x)``, accurate when ``x`` is small."""
        return Log1p.apply(self._floating())

    def expm1(self) -> Tensor:
        """``exp(x) - 1``, accurate when ``x`` is small."""
        return Expm1.apply(self._floating())

    def rsqrt(self) -> Tensor:
        """``1 / sqrt(x)``."""
        return Rsqrt.apply(self._floating())

    def erf(self) -> Tensor:
        """The error function (as ``math.erf``, elementwise)."""
        return Erf.apply(self._floating())

    def erfinv(self) -> Tensor:
        """The inverse error function, elementwise: ``erf(erfinv(x)) = x`` on ``(-1, 1)``,
        ``+-inf`` at ``+-1``, nan beyond (see ``ops.Erfinv``)."""
        return Erfinv.apply(self._floating())

    def tan(self) -> Tensor:
        """``tan(self)`` in radians, elementwise, same shape; integer and bool inputs give the
        default float dtype, as in PyTorch."""
        return Tan.apply(self._floating())

    def asin(self) -> Tensor:
        """The inverse sine, in ``[-pi/2, pi/2]`` (NaN outside ``[-1, 1]``)."""
        return Asin.apply(self._floating())

    def acos(self) -> Tensor:
        """The inverse cosine, in ``[0, pi]`` (NaN outside ``[-1, 1]``)."""
        return Acos.apply(self._floating())

    def atan(self) -> Tensor:
        """The inverse tangent, in ``(-pi/2, pi/2)``."""
        return Atan.apply(self._floating())

    arcsin, arccos, arctan = asin, acos, atan

    def sinh(self) -> Tensor:
        """Hyperbolic sine, elementwise, same shape; integer and bool inputs give the default float
        dtype, as in PyTorch."""
        return Sinh.apply(self._floating())

    def cosh(self) -> Tensor:
        """Hyperbolic cosine, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch."""
        return Cosh.apply(self._floating())

    def asinh(self) -> Tensor:
        """The inverse hyperbolic sine, elementwise; integer and bool inputs give the default
        float dtype."""
        return Asinh.apply(self._floating())

    def acosh(self) -> Tensor:
        """The inverse hyperbolic cosine (NaN below 1), elementwise."""
        return Acosh.apply(self._floating())

    def atanh(self) -> Tensor:
        """The inverse hyperbolic tangent (+-inf at +-1, NaN beyond), elementwise."""
        return Atanh.apply(self._floating())

    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def reciprocal(self) -> Tensor:
        """``1 / self``, elementwise; integer and bool inputs give the default float dtype
        (``1 / 0`` is inf). The gradient is ``-grad * out**2``."""
        return Reciprocal.apply(self._floating())

    def deg2rad(self) -> Tensor:
        """Degrees to radians: ``self * (pi / 180)`` (PyTorch's product, the constant rounded
        to the tensor's dtype); integer and bool inputs give the default float dtype."""
        return self._floating() * (math.pi / 180.0)

    def rad2deg(self) -> Tensor:
        """Radians to degrees: ``self * (180 / pi)``."""
        return self._floating() * (180.0 / math.pi)

    def copysign(self, other: Tensor | Number) -> Tensor:
        """``|self|`` with the sign of ``other`` (a zero or NaN ``other`` counts by its sign
        bit), elementwise with broadcasting; always floating. Gradient to ``self`` only."""
        a, b = _operands(self, other)
        return Copysign.apply(a._floating(), b._floating())

    def fmax(self, other: Tensor) -> Tensor:
        """The larger of each pair, where a NaN loses to a number (``maximum`` propagates NaN;
        ``fmax`` gives NaN only when both are), with broadcasting and promotion."""
        return self._nan_ignoring(other, "fmax", smallest=False)

    def fmin(self, other: Tensor) -> Tensor:
        """The smaller of each pair, where a NaN loses to a number (see ``fmax``)."""
        return self._nan_ignoring(other, "fmin", smallest=True)

    def _nan_ignoring(self, other, name, smallest):
        a, b = _operands(self, _tensor_argument(other, name, "other", 2))
        return NanIgnoringExtremum.apply(a, b, smallest=smallest)

    def float_power(self, exponent: Tensor | Number) -> Tensor:
        """``self ** exponent`` computed in float64 whatever the dtypes (PyTorch's
        ``float_power``); differentiable as ``pow``."""
        if isinstance(exponent, Tensor):
            exponent = exponent.to(dtypes.float64)
        elif isinstance(exponent, bool):
            exponent = int(exponent)
        return self.to(dtypes.float64).pow(exponent)

    def nextafter(self, other: Tensor) -> Tensor:
        """The next floating value after ``self`` toward ``other``, elementwise; floating
        tensors only. Its gradient passes to ``self`` unchanged, as PyTorch's."""
        a, b = _operands(self, _tensor_argument(other, "nextafter", "other", 2))
        if not dtypes.is_floating(a._array.dtype):
            raise dtypes.not_implemented("nextafter_cpu", a._array.dtype)
        return NextAfter.apply(a, b)

    def signbit(self) -> Tensor:
        """Whether each element's sign bit is set (True for -0.0 and negative numbers), as a
        bool tensor."""
        return Derived.apply(self, function=np.signbit)

    def fix(self) -> Tensor:
        """``trunc``: round toward zero."""
        return self.trunc()

    def absolute(self) -> Tensor:
        """``abs``."""
        return self.abs()

    def negative(self) -> Tensor:
        """``neg``: ``-self``."""
        return self.neg()

    def positive(self) -> Tensor:
        """This tensor itself (``+self``); a bool tensor is refused, as in PyTorch."""
        if self._array.dtype is dtypes.bool:
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def atan2(self, other: Tensor) -> Tensor:
        """The angle of the point ``(other, self)`` from the positive x axis, in ``(-pi, pi]``,
        elementwise with broadcasting; integer operands give the default float dtype."""
        a, b = _operands(self, _tensor_argument(other, "atan2", "other", 2))
        return Atan2.apply(a._floating(), b._floating())

    arctan2 = atan2

    def hypot(self, other: Tensor) -> Tensor:
        """``sqrt(self**2 + other**2)`` elementwise (without overflow), for floating tensors."""
        a, b = _operands(self, _tensor_argument(other, "hypot", "other", 2))
        if not dtypes.is_floating(a._array.dtype):
            raise dtypes.not_implemented("hypot_cpu", a._array.dtype)
        return Hypot.apply(a, b)

    def logit(self, eps: _float | None = None) -> Tensor:
        """``log(p / (1 - p))``, the inverse of ``sigmoid``; with ``eps``, ``p`` is first clamped
        to ``[eps, 1 - eps]`` so the result stays finite at 0 and 1."""
        return Logit.apply(self._floating(), eps=eps)

    def square(self) -> Tensor:
        """``self ** 2`` (integer and bool tensors give integers, as in PyTorch)."""
        return self.pow(2)

    def logaddexp(self, other: Tensor) -> Tensor:
        """``log(exp(self) + exp(other))`` elementwise with broadcasting, without overflow
        (see ``ops.LogAddExp``); floating results only, as PyTorch's."""
        return self._log_add_exp(other, "logaddexp", 0)

    def logaddexp2(self, other: Tensor) -> Tensor:
        """``log2(2**self + 2**other)`` elementwise with broadcasting, without overflow."""
        return self._log_add_exp(other, "logaddexp2", 2)

    def _log_add_exp(self, other, name, base):
        a, b = _operands(self, _tensor_argument(other, name, "other", 2))
        if not dtypes.is_floating(a._array.dtype):
            raise dtypes.not_implemented(f"{name}_cpu", a._array.dtype)
        return LogAddExp.apply(a, b, base=base)

    def xlogy(self, other: Tensor | Number) -> Tensor:
        """``self * log(other)`` elementwise with broadcasting, 0 where ``self`` is 0 (unless
        ``other`` is NaN), as ``kl_div`` needs for ``0 * log(0)``; integer operands give the
        default float dtype (see ``ops.XLogY``)."""
        a, b = _operands(self, other)
        return XLogY.apply(a._floating(), b._floating())

    def nan_to_num(self, nan: _float = 0.0, posinf: _float | None = None,
                   neginf: _float | None = None) -> Tensor:
        """A copy with NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (by
        default the largest and the lowest finite values of the dtype); integer and bool
        tensors come back as copies. The gradient flows to the finite elements only."""
        dtype = self._array.dtype
        if not dtypes.is_floating(dtype):
            return Clone.apply(self)
        info = np.finfo(dtype)
        result = self
        for replaced, value in ((self.isnan(), nan),
                                (self == math.inf, info.max if posinf is None else posinf),
                                (self == -math.inf, info.min if neginf is None else neginf)):
            with np.errstate(over="ignore"):  # a replacement beyond the dtype becomes inf
                result = where(replaced, constant_tensor(np.asarray(value, dtype=dtype)), result)
        return result

    def frac(self) -> Tensor:
        """The fractional part ``self - trunc(self)``, elementwise, with the sign of ``self``;
        floating tensors only. Gradient: ``grad_output``."""
        if not dtypes.is_floating(self._array.dtype):
            raise dtypes.not_implemented("frac_cpu", self._array.dtype)
        return self - self.trunc()

    def sinc(self) -> Tensor:
        """The normalised sinc ``sin(pi * x) / (pi * x)``, 1 at 0 (where its gradient is 0);
        integer inputs give the default float dtype; float16 is computed in float32 and
        rounded once, as PyTorch's kernel."""
        return in_opmath(_sinc, self._floating())

    def _stepwise(self, op):
        """floor, ceil, round, trunc, sign: an integer or bool tensor comes back as a copy of
        itself (its dtype kept, as in PyTorch), a floating one through the op (zero gradient)."""
        if self._array.dtype.kind in "fc":  # complex: refused by the op, as PyTorch
            return op.apply(self)
        if op is Sign and self._array.dtype is not dtypes.bool:
            return Derived.apply(self, function=np.sign)
        return Clone.apply(self)

    def floor(self) -> Tensor:
        """Round down to the nearest integer: elementwise, same shape; integer and bool tensors
        come back unchanged with their dtype (PyTorch's rule), and the gradient is zero."""
        return self._stepwise(Floor)

    def ceil(self) -> Tensor:
        """Round up to the nearest integer: elementwise, same shape; integer and bool tensors come
        back unchanged with their dtype (PyTorch's rule), and the gradient is zero."""
        return self._stepwise(Ceil)

    def round(self, *, decimals: _int | None = None) -> Tensor:
        """Round to the nearest integer, halves to even (as PyTorch); with ``decimals``, to that
        many decimal places (negative: to tens, hundreds, ...; see ``ops.Round`` for the
        formula). Integer and bool tensors come back unchanged without ``decimals`` and are
        refused with it, as in PyTorch. The gradient is zero."""
        if decimals is None:
            return self._stepwise(Round)
        if not dtypes.is_floating(self._array.dtype):
            kernel = "round_vml_cpu" if decimals == 0 else "round_cpu"
            raise dtypes.not_implemented(kernel, self._array.dtype)
        return Round.apply(self, decimals=int(decimals))

    def trunc(self) -> Tensor:
        """Round toward zero: elementwise, same shape; integer and bool tensors come back unchanged
        with their dtype (PyTorch's rule), and the gradient is zero."""
        return self._stepwise(Trunc)

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element, same shape and dtype (a bool tensor comes back
        unchanged, as in PyTorch); the gradient is zero."""
        return self._stepwise(Sign)

    def hardshrink(self, lambd: _float = 0.5) -> Tensor:
        """``self`` where ``|self| > lambd``, else 0 (see ``nn.functional.hardshrink``)."""
        from ..nn.functional_activations import hardshrink  # nn builds on the tensor: a layer up

        return hardshrink(self, lambd)

    def prelu(self, weight: Tensor) -> Tensor:
        """``max(0, self) + weight * min(0, self)``, ``weight`` per channel (dim 1) or one value
        (see ``nn.functional.prelu``)."""
        from ..nn.functional_activations import prelu  # nn builds on the tensor: a layer up

        return prelu(self, weight)

    def relu(self) -> Tensor:
        """``max(self, 0)``, elementwise, same shape and dtype. The gradient is 1 where ``self >
        0`` and 0 elsewhere (including at 0, as in PyTorch). Bool tensors raise, as in PyTorch."""
        if self._array.dtype is dtypes.bool:
            raise RuntimeError("Boolean inputs not supported for relu")
        return ReLU.apply(self)

    def abs(self) -> Tensor:
        """``|self|``, elementwise, same shape and dtype. The gradient is ``sign(self)`` (0 at 0,
        as in PyTorch)."""
        return Abs.apply(self)

    __abs__ = abs

    def clamp(self, min: Tensor | Number | None = None,
              max: Tensor | Number | None = None) -> Tensor:
        """Limit values to ``[min, max]``; either bound may be omitted, not both. A bound may
        be a tensor (broadcast), which then gets the gradient where it is the result."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            result = self
            if min is not None:
                result = where(result < min, min, result)
            if max is not None:
                result = where(result > max, max, result)
            return result
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, numbers.Real):
                raise TypeError(f"clamp: '{name}' must be a real number, got {bound!r}")
        if not dtypes.is_floating(self._array.dtype) and (
                isinstance(min, (float, np.floating)) or isinstance(max, (float, np.floating))):
            return Clamp.apply(self._floating(), min=min, max=max)  # a float bound promotes
        return Clamp.apply(self, min=min, max=max)

    clip = clamp

    def clamp_min(self, min: Tensor | Number) -> Tensor:
        """``max(self, min)``: ``clamp`` with a lower bound only."""
        return self.clamp(min=min)

    def clamp_max(self, max: Tensor | Number) -> Tensor:
        """``min(self, max)``: ``clamp`` with an upper bound only."""
        return self.clamp(max=max)

    def maximum(self, other: Tensor) -> Tensor:
        """The larger of ``self`` and ``other`` (a tensor: PyTorch refuses a number here)
        elementwise; the shapes broadcast and the dtypes promote as in PyTorch. Where the two
        are equal each receives half the gradient."""
        return Maximum.apply(*_operands(self, _tensor_argument(other, "maximum", "other", 2)))

    def minimum(self, other: Tensor) -> Tensor:
        """The smaller of ``self`` and ``other`` (a tensor: PyTorch refuses a number here)
        elementwise; the shapes broadcast and the dtypes promote as in PyTorch. Where the two
        are equal each receives half the gradient."""
        return Minimum.apply(*_operands(self, _tensor_argument(other, "minimum", "other", 2)))


def _sinc(x):
    """``sinc`` of a floating tensor: ``pi * x`` in ``x``'s dtype (PyTorch's ``c10::pi`` of
    that type), with 1 put in for the zeros first so that neither value nor gradient is 0/0."""
    zero = x == 0
    product = where(zero, 1, x) * math.pi
    return where(zero, 1, product.sin() / product)


def float_power(input: Tensor | Number, exponent: Tensor | Number) -> Tensor:
    """``input ** exponent`` in float64 (``Tensor.float_power``); either may be a number."""
    if not isinstance(input, Tensor):
        if not isinstance(exponent, Tensor):
            raise TypeError(f"float_power() received an invalid combination of arguments - got "
                            f"({type(input).__name__}, {type(exponent).__name__})")
        input = constant_tensor(np.asarray(input, dtype=dtypes.float64), input)
    return input.float_power(exponent)
