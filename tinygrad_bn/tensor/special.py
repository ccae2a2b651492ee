"""Special functions as ``Tensor`` methods: ``lgamma``, ``digamma``, ``polygamma``, ``mvlgamma``,
``i0``, ``erfc``, ``exp2``, ``igamma``/``igammac``, with their in-place forms (``lgamma_``, ...),
and the functions of ``torch.special`` that are no Tensor methods (``i0e``, ``i1``, ``ndtri``,
``log_ndtr``, ``zeta``, ...), which ``tinygrad_bn.special`` exports. Integer and bool inputs
give the default float dtype, as in PyTorch; the ops are in ``ops/special.py``."""

from __future__ import annotations

import math
# ``int`` is a Tensor method, so annotations use this:
from builtins import int as _int

import numpy as np

from .. import dtypes
from ..dtypes import Number
from ..ops.special import (
    Digamma, Entr, Erfc, Erfcx, Exp2, I0, I0e, I1, I1e, Igamma, Lgamma, LogNdtr, Ndtri,
    Polygamma, XLog1pY, Zeta,
)
from .arguments import _operands, constant_tensor, in_opmath
from .core import Tensor


class SpecialMethods:
    """The special functions of ``Tensor``, which takes these methods as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def lgamma(self) -> Tensor:
        """``log |Gamma(self)|``, elementwise; inf at 0, the negative integers and +-inf.
        Gradient: ``digamma(self)``."""
        return Lgamma.apply(self._floating())

    def digamma(self) -> Tensor:
        """``d/dx lgamma(x)``, elementwise (``-inf`` at +0, ``inf`` at -0, nan at the negative
        integers, as PyTorch). Gradient: ``polygamma(1, self)``."""
        return Digamma.apply(self._floating())

    def polygamma(self, n: _int) -> Tensor:
        """``polygamma(n, self)``, the ``n``-th derivative of ``digamma`` (``n >= 0``).
        Gradient: ``polygamma(n + 1, self)``."""
        return Polygamma.apply(self._floating(), n=_order(n))

    def mvlgamma(self, p: _int) -> Tensor:
        """The multivariate log-gamma function of dimension ``p``:
        ``p (p-1)/4 log(pi) + sum_{j<p} lgamma(self - j/2)`` (PyTorch's order of terms)."""
        if p < 1:
            raise RuntimeError("p has to be greater than or equal to 1")
        x = self._floating()
        steps = np.arange(-p * 0.5 + 0.5, 0.5, 0.5).astype(x._array.dtype)
        terms = (constant_tensor(steps) + x.unsqueeze(-1)).lgamma()
        return terms.sum(-1) + p * (p - 1) * math.log(math.pi) / 4

    def i0(self) -> Tensor:
        """``I0(self)``, the modified Bessel function of the first kind of order 0.
        Gradient: ``i1(self)``."""
        return I0.apply(self._floating())

    def erfc(self) -> Tensor:
        """``1 - erf(self)``, accurate where ``erf`` is close to 1."""
        return Erfc.apply(self._floating())

    def exp2(self) -> Tensor:
        """``2 ** self``, elementwise; integer and bool inputs give the default float dtype."""
        return in_opmath(Exp2.apply, self._floating())

    def igamma(self, other: Tensor) -> Tensor:
        """The regularised lower incomplete gamma function ``P(self, other)``, floating
        tensors only (as PyTorch); differentiable in ``other`` only."""
        return _igamma(self, other, upper=False)

    def igammac(self, other: Tensor) -> Tensor:
        """The regularised upper incomplete gamma function ``Q(self, other) = 1 - P``."""
        return _igamma(self, other, upper=True)

    # ------------------------------------------------------------------ in-place forms

    def lgamma_(self) -> Tensor:
        """In-place ``lgamma``."""
        return self._write(Tensor.lgamma)

    def digamma_(self) -> Tensor:
        """In-place ``digamma``."""
        return self._write(Tensor.digamma)

    def polygamma_(self, n: _int) -> Tensor:
        """In-place ``polygamma(n, self)``."""
        return self._write(Tensor.polygamma, n)

    def mvlgamma_(self, p: _int) -> Tensor:
        """In-place ``mvlgamma``."""
        return self._write(Tensor.mvlgamma, p)

    def i0_(self) -> Tensor:
        """In-place ``i0``."""
        return self._write(Tensor.i0)

    def erfc_(self) -> Tensor:
        """In-place ``erfc``."""
        return self._write(Tensor.erfc)

    def exp2_(self) -> Tensor:
        """In-place ``exp2``."""
        return self._write(Tensor.exp2)

    def igamma_(self, other: Tensor) -> Tensor:
        """In-place ``igamma``."""
        return self._write(Tensor.igamma, other)

    def igammac_(self, other: Tensor) -> Tensor:
        """In-place ``igammac``."""
        return self._write(Tensor.igammac, other)


def _order(n):
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return int(n)


def _igamma(a, x, upper):
    a, x = _operands(a, x)
    if not dtypes.is_floating(a._array.dtype):
        raise dtypes.not_implemented("igammac_cpu" if upper else "igamma_cpu", a._array.dtype)
    return Igamma.apply(a, x, upper=upper)


def _float_operands(x, y):
    """Two operands of a binary special function: Python numbers made tensors, the pair
    promoted, integers to the default float dtype."""
    if not isinstance(x, Tensor):
        x, y = _operands(y, x, reflected=True)
    else:
        x, y = _operands(x, y)
    return x._floating(), y._floating()


# ---------------------------------------------------------------- torch.special's own functions


def polygamma(n: _int, input: Tensor) -> Tensor:
    """``polygamma(n, input)``: the ``n``-th derivative of ``digamma`` (``Tensor.polygamma``)."""
    return input.polygamma(n)


def i0e(input: Tensor) -> Tensor:
    """``exp(-|x|) I0(x)``, the exponentially scaled modified Bessel function of order 0."""
    return I0e.apply(input._floating())


def i1(input: Tensor) -> Tensor:
    """``I1(x)``, the modified Bessel function of the first kind of order 1."""
    return I1.apply(input._floating())


def i1e(input: Tensor) -> Tensor:
    """``exp(-|x|) I1(x)``, the exponentially scaled modified Bessel function of order 1."""
    return I1e.apply(input._floating())


def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function ``exp(x^2) erfc(x)``, finite far into the
    positive tail where ``erfc`` underflows."""
    return Erfcx.apply(input._floating())


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``, PyTorch's formula and
    its steps in the input's dtype: it underflows to 0 below about -8.3 (float64; -2.7 in
    float16), where ``erfc(-x / sqrt 2) / 2`` would not; ``log_ndtr`` keeps the tail."""
    x = input._floating()
    return ((x * (1 / math.sqrt(2))).erf() + 1) * 0.5


def ndtri(input: Tensor) -> Tensor:
    """The standard normal quantile, the inverse of ``ndtr`` (``-inf`` at 0, ``inf`` at 1)."""
    return Ndtri.apply(input._floating())


def log_ndtr(input: Tensor) -> Tensor:
    """``log(ndtr(x))``, accurate far into the negative tail."""
    return LogNdtr.apply(input._floating())


def entr(input: Tensor) -> Tensor:
    """The entropy term ``-x log x`` (0 at 0, ``-inf`` below 0)."""
    return Entr.apply(input._floating())


def xlog1py(input: Tensor | Number, other: Tensor | Number) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is nan); either
    operand may be a Python number."""
    return XLog1pY.apply(*_float_operands(input, other))


def zeta(input: Tensor | Number, other: Tensor | Number) -> Tensor:
    """The Hurwitz zeta function ``sum_{k>=0} (k + other)^-input``; either operand may be a
    Python number. No gradient, as in PyTorch."""
    return Zeta.apply(*_float_operands(input, other))
