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
from ..ops import Derived
from ..ops import special_values as _values
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


def _not_differentiable(function, input):
    """``function`` of ``input``'s values (the default float dtype for integers), computed in
    float64 and rounded, with no gradient: PyTorch defines none for the newer ``torch.special``
    functions and returns a result without ``grad_fn``."""
    return Derived.apply(input._floating(), function=function)


def _i0_rounded(a):
    return _values.i0_values(a.astype(np.float64)).astype(a.dtype)


def _i1_rounded(a):
    return _values.i1_values(a.astype(np.float64)).astype(a.dtype)


_J0_SERIES = (1 / 6227020800, -1 / 39916800, 1 / 362880, -1 / 5040, 1 / 120, -1 / 6, 1.0)


def _spherical_j0(a):
    x = a.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        square = x * x
        series = np.zeros_like(x)
        for c in _J0_SERIES:
            series = series * square + c
        out = np.where(np.abs(x) < 0.5, series, np.sin(x) / x)
    return np.where(np.isinf(x), 0.0, out).astype(a.dtype)


def modified_bessel_i0(input: Tensor) -> Tensor:
    """``I0(x)`` without a gradient (``torch.special.modified_bessel_i0``; ``i0`` has one)."""
    return _not_differentiable(_i0_rounded, input)


def modified_bessel_i1(input: Tensor) -> Tensor:
    """``I1(x)`` without a gradient (``torch.special.modified_bessel_i1``; ``i1`` has one)."""
    return _not_differentiable(_i1_rounded, input)


def _k0(a):
    return _values.k_values(a.astype(np.float64), 0).astype(a.dtype)


def _k1(a):
    return _values.k_values(a.astype(np.float64), 1).astype(a.dtype)


def _k0e(a):
    return _values.k_values(a.astype(np.float64), 0, scaled=True).astype(a.dtype)


def _k1e(a):
    return _values.k_values(a.astype(np.float64), 1, scaled=True).astype(a.dtype)


def _j0(a):
    return _values.bessel_j_values(a.astype(np.float64), 0).astype(a.dtype)


def _j1(a):
    return _values.bessel_j_values(a.astype(np.float64), 1).astype(a.dtype)


def _y0(a):
    return _values.bessel_y_values(a.astype(np.float64), 0).astype(a.dtype)


def _y1(a):
    return _values.bessel_y_values(a.astype(np.float64), 1).astype(a.dtype)


def bessel_j0(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 0 (Cephes' ``j0``); no gradient. Within
    4e-16 of mpmath, where PyTorch's CPU kernels for ``j0``/``j1``/``y0``/``y1`` are up to 9e-7
    off (measured on 2000 points in [-30, 30]): their rational functions lack the leading 1
    of Cephes' ``p1evl`` denominators."""
    return _not_differentiable(_j0, input)


def bessel_j1(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 1 (odd); no gradient."""
    return _not_differentiable(_j1, input)


def bessel_y0(input: Tensor) -> Tensor:
    """The Bessel function of the second kind of order 0 (``-inf`` at 0, nan below); no
    gradient."""
    return _not_differentiable(_y0, input)


def bessel_y1(input: Tensor) -> Tensor:
    """The Bessel function of the second kind of order 1 (``-inf`` at 0, nan below); no
    gradient."""
    return _not_differentiable(_y1, input)


def _airy_ai(a):
    return _values.airy_ai_values(a.astype(np.float64)).astype(a.dtype)


def airy_ai(input: Tensor) -> Tensor:
    """The Airy function ``Ai(x)``; no gradient. Within 3e-13 of mpmath on [-30, 30], where
    PyTorch's CPU kernel is up to 2.8e-6 off (see ``special_values.airy_ai_values``)."""
    return _not_differentiable(_airy_ai, input)


def modified_bessel_k0(input: Tensor) -> Tensor:
    """``K0(x)``, the modified Bessel function of the second kind of order 0 (inf at 0, nan
    below); no gradient."""
    return _not_differentiable(_k0, input)


def modified_bessel_k1(input: Tensor) -> Tensor:
    """``K1(x)``, of order 1; no gradient."""
    return _not_differentiable(_k1, input)


def scaled_modified_bessel_k0(input: Tensor) -> Tensor:
    """``exp(x) K0(x)``; no gradient."""
    return _not_differentiable(_k0e, input)


def scaled_modified_bessel_k1(input: Tensor) -> Tensor:
    """``exp(x) K1(x)``; no gradient."""
    return _not_differentiable(_k1e, input)


def spherical_bessel_j0(input: Tensor) -> Tensor:
    """The spherical Bessel function ``j0(x) = sin(x) / x``: its Taylor series below 1/2 in
    magnitude, 0 at +-inf (PyTorch's); no gradient."""
    return _not_differentiable(_spherical_j0, input)


def _polynomial(kind, x, n):
    """PyTorch's orthogonal polynomial ``kind`` of degree ``n`` at ``x``: either may be a
    Python number; the result is floating (integers give the default float dtype); no
    gradient."""
    x, n = _float_operands(x, n)
    return Derived.apply(x, n, function=_values.polynomial_values, keywords={"kind": kind})


def chebyshev_polynomial_t(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The Chebyshev polynomial of the first kind ``T_n(x)``."""
    return _polynomial("chebyshev_t", input, n)


def chebyshev_polynomial_u(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The Chebyshev polynomial of the second kind ``U_n(x)``."""
    return _polynomial("chebyshev_u", input, n)


def chebyshev_polynomial_v(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The Chebyshev polynomial of the third kind ``V_n(x)``."""
    return _polynomial("chebyshev_v", input, n)


def chebyshev_polynomial_w(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The Chebyshev polynomial of the fourth kind ``W_n(x)``."""
    return _polynomial("chebyshev_w", input, n)


def hermite_polynomial_h(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The physicists' Hermite polynomial ``H_n(x)`` (nan above degree 128 in float32, 512 in
    float64, as PyTorch)."""
    return _polynomial("hermite_h", input, n)


def hermite_polynomial_he(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The probabilists' Hermite polynomial ``He_n(x)``."""
    return _polynomial("hermite_he", input, n)


def laguerre_polynomial_l(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The Laguerre polynomial ``L_n(x)``."""
    return _polynomial("laguerre_l", input, n)


def legendre_polynomial_p(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The Legendre polynomial ``P_n(x)``."""
    return _polynomial("legendre_p", input, n)


def shifted_chebyshev_polynomial_t(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The shifted Chebyshev polynomial of the first kind, ``T_n(2x - 1)``."""
    return _polynomial("shifted_chebyshev_t", input, n)


def shifted_chebyshev_polynomial_u(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The shifted Chebyshev polynomial of the second kind, ``U_n(2x - 1)``."""
    return _polynomial("shifted_chebyshev_u", input, n)


def shifted_chebyshev_polynomial_v(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The shifted Chebyshev polynomial of the third kind, ``V_n(2x - 1)``."""
    return _polynomial("shifted_chebyshev_v", input, n)


def shifted_chebyshev_polynomial_w(input: Tensor | Number, n: Tensor | Number) -> Tensor:
    """The shifted Chebyshev polynomial of the fourth kind, ``W_n(2x - 1)``."""
    return _polynomial("shifted_chebyshev_w", input, n)
