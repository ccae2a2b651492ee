"""Ops of the special functions (``torch.special``, ``lgamma``, ``digamma``, ``polygamma``,
``i0``, ...): each computes its value in float64 with the kernels of ``special_values.py`` and
rounds once to its input's dtype (PyTorch computes float16 in float32 and float32 in float32;
ours differ from its results by at most the last bit or two of the smaller type). Each backward
is PyTorch's derivative formula from ``derivatives.yaml``.
"""

import math

import numpy as np

from ..autograd.graph import Op
from . import special_values as values

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SQRT_TWO_PI = math.sqrt(2 * math.pi)


def _in_float64(function, a, *arguments):
    """``function`` of ``a`` computed in float64 and rounded to ``a``'s dtype."""
    return np.asarray(function(a.astype(np.float64), *arguments)).astype(a.dtype, copy=False)


def _polygamma(n, a):
    """``polygamma(n, a)`` rounded to ``a``'s dtype: ``trigamma`` (``n = 1``) in float32 for
    float16 and float32 as PyTorch (see ``special_values.trigamma_values``), the others in
    float64."""
    if n == 1 and a.dtype != np.float64:
        return values.trigamma_values(a.astype(np.float32, copy=False)).astype(a.dtype)
    return values.polygamma_values(n, a.astype(np.float64)).astype(a.dtype, copy=False)


class Lgamma(Op):
    """``log |Gamma(a)|`` (inf at the poles). Gradient: ``grad_output * digamma(a)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return _in_float64(values.lgamma_values, a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * _in_float64(values.digamma_values, a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.digamma(),)


class Digamma(Op):
    """``digamma(a) = Gamma'(a) / Gamma(a)``. Gradient: ``grad_output * polygamma(1, a)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return _in_float64(values.digamma_values, a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * _polygamma(1, a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.polygamma(1),)


class Polygamma(Op):
    """``polygamma(n, a)``, the ``n``-th derivative of ``digamma``. Gradient: ``grad_output *
    polygamma(n + 1, a)``."""

    __slots__ = ("n",)
    arguments = ("n",)

    def __init__(self, n):
        self.n = n

    def forward(self, a):
        self.saved = (a,)
        return _polygamma(self.n, a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * _polygamma(self.n + 1, a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.polygamma(self.n + 1),)


class I0(Op):
    """``I0(a)``, the modified Bessel function of the first kind of order 0. Gradient:
    ``grad_output * I1(a)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return _in_float64(values.i0_values, a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * _in_float64(values.i1_values, a),)

    def tensor_backward(self, grad_output):
        from .. import special  # the functions build on the ops: a layer up

        (a,) = self.inputs
        return (grad_output * special.i1(a),)


class I0e(Op):
    """``exp(-|a|) I0(a)``. Gradient: ``grad_output * (i1e(a) - sign(a) i0e(a))``."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = _in_float64(values.i0e_values, a)
        self.saved = (a, out)
        return out

    def backward(self, grad_output):
        a, out = self.saved
        return (grad_output * (_in_float64(values.i1e_values, a) - np.sign(a) * out),)

    def tensor_backward(self, grad_output):
        from .. import special  # the functions build on the ops: a layer up

        (a,) = self.inputs
        return (grad_output * (special.i1e(a) - a.sign() * special.i0e(a)),)


class I1(Op):
    """``I1(a)``, of order 1. Gradient: ``grad_output * (i0(a) - i1(a) / a)``, ``1/2`` at 0
    (PyTorch's limit)."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = _in_float64(values.i1_values, a)
        self.saved = (a, out)
        return out

    def backward(self, grad_output):
        a, out = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            local = np.where(a == 0, 0.5, _in_float64(values.i0_values, a) - out / a)
        return (grad_output * local.astype(a.dtype, copy=False),)

    def tensor_backward(self, grad_output):
        from .. import special  # the functions build on the ops: a layer up

        (a,) = self.inputs
        local = special.i0(a) - special.i1(a) / a
        return (grad_output * local.where(a != 0, 0.5),)


class I1e(Op):
    """``exp(-|a|) I1(a)``. Gradient: ``grad_output * (i0e(a) - i1e(a) (sign(a) + 1/a))``,
    ``1/2`` at 0."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = _in_float64(values.i1e_values, a)
        self.saved = (a, out)
        return out

    def backward(self, grad_output):
        a, out = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            local = np.where(a == 0, 0.5, _in_float64(values.i0e_values, a)
                             - out * (np.sign(a) + 1 / a))
        return (grad_output * local.astype(a.dtype, copy=False),)

    def tensor_backward(self, grad_output):
        from .. import special  # the functions build on the ops: a layer up

        (a,) = self.inputs
        local = special.i0e(a) - special.i1e(a) * (a.sign() + 1 / a)
        return (grad_output * local.where(a != 0, 0.5),)


class Erfc(Op):
    """``1 - erf(a)``, without the cancellation for large ``a``. Gradient: ``-grad_output *
    2/sqrt(pi) exp(-a^2)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return _in_float64(values.erfc_values, a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * (-_TWO_OVER_SQRT_PI) * np.exp(-a * a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * (-_TWO_OVER_SQRT_PI) * (-a * a).exp(),)


class Erfcx(Op):
    """``exp(a^2) erfc(a)``. Gradient: ``grad_output * (2 a erfcx(a) - 2/sqrt(pi))``."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = _in_float64(values.erfcx_values, a)
        self.saved = (a, out)
        return out

    def backward(self, grad_output):
        a, out = self.saved
        return (grad_output * (2 * a * out - _TWO_OVER_SQRT_PI),)

    def tensor_backward(self, grad_output):
        from .. import special  # the functions build on the ops: a layer up

        (a,) = self.inputs
        return (grad_output * (2 * a * special.erfcx(a) - _TWO_OVER_SQRT_PI),)


class Ndtri(Op):
    """The standard normal quantile ``Phi^-1(a)``. Gradient: ``grad_output * sqrt(2 pi)
    exp(ndtri(a)^2 / 2)``."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = _in_float64(values.ndtri_values, a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (grad_output * _SQRT_TWO_PI * np.exp(out * out / 2),)

    def tensor_backward(self, grad_output):
        from .. import special  # the functions build on the ops: a layer up

        (a,) = self.inputs
        out = special.ndtri(a)
        return (grad_output * _SQRT_TWO_PI * (out * out / 2).exp(),)


class LogNdtr(Op):
    """``log Phi(a)``, Phi the standard normal CDF. Gradient (PyTorch's): ``grad_output
    exp(-(log_ndtr(a) + a^2/2)) / sqrt(2 pi)``, the normal density over Phi."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = _in_float64(values.log_ndtr_values, a)
        self.saved = (a, out)
        return out

    def backward(self, grad_output):
        a, out = self.saved
        return (grad_output / _SQRT_TWO_PI * np.exp(-(out + a * a / 2)),)

    def tensor_backward(self, grad_output):
        from .. import special  # the functions build on the ops: a layer up

        (a,) = self.inputs
        return (grad_output / _SQRT_TWO_PI * (-(special.log_ndtr(a) + a * a / 2)).exp(),)


class Igamma(Op):
    """The regularised incomplete gamma function ``P(a, x)`` (``upper``: ``Q(a, x) = 1 -
    P``), both operands broadcast. Gradient for ``x`` only: ``+-grad_output x^(a-1) e^-x /
    Gamma(a)``; PyTorch has none for ``a`` and raises NotImplementedError, as here."""

    __slots__ = ("upper",)
    arguments = ("upper",)

    def __init__(self, upper=False):
        self.upper = upper

    def forward(self, a, x):
        self.saved = (a, x)
        dtype = np.result_type(a, x)
        return values.igamma_values(a, x, self.upper).astype(dtype, copy=False)

    def backward(self, grad_output):
        a, x = self.saved
        if self.needs_input_grad[0]:
            name = "igammac" if self.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        a64, x64 = a.astype(np.float64), x.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            density = np.exp((a64 - 1) * np.log(x64) - x64 - values.lgamma_values(a64))
        density = density.astype(np.result_type(a, x), copy=False)
        return None, grad_output * (-density if self.upper else density)

    def tensor_backward(self, grad_output):
        a, x = self.inputs
        if self.needs_input_grad[0]:
            name = "igammac" if self.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        density = ((a - 1) * x.log() - x - a.lgamma()).exp()
        return None, grad_output * (-density if self.upper else density)


class Zeta(Op):
    """The Hurwitz zeta function ``sum_k (k + q)^-x``; PyTorch defines no gradient (backward
    raises its NotImplementedError)."""

    __slots__ = ()

    def forward(self, x, q):
        return values.zeta_values(x, q).astype(np.result_type(x, q), copy=False)

    def backward(self, grad_output):
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")

    def tensor_backward(self, grad_output):
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")


class Exp2(Op):
    """``2 ** a``. Gradient: ``grad_output * 2**a * log(2)``."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = np.exp2(a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (grad_output * out * out.dtype.type(math.log(2)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.exp2() * math.log(2),)


class XLog1pY(Op):
    """``x * log1p(y)``, 0 where ``x`` is 0 unless ``y`` is NaN (``torch.special.xlog1py``, as
    ``XLogY`` for ``log``). Gradients: ``grad_output * log1p(y)`` (0 where ``x`` is 0) for
    ``x``, ``grad_output * x / (1 + y)`` for ``y``."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = (x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((x == 0) & ~np.isnan(y), 0, x * np.log1p(y)).astype(
                np.result_type(x, y), copy=False)

    def backward(self, grad_output):
        x, y = self.saved
        needs_x, needs_y = self.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_x = grad_output * np.where((x == 0) & ~np.isnan(y), 0, np.log1p(y)) \
                if needs_x else None
            grad_y = grad_output * x / (1 + y) if needs_y else None
        return grad_x, grad_y

    def tensor_backward(self, grad_output):
        x, y = self.inputs
        keep = (x != 0) | y.isnan()
        return grad_output * y.log1p().where(keep, 0), grad_output * x / (1 + y)


class Entr(Op):
    """The entropy term ``-a log a`` for ``a > 0``, 0 at 0, ``-inf`` below 0 (NaN at NaN).
    Gradient: ``-grad_output * (1 + log a)`` (inf at 0, NaN below, as PyTorch's)."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(a > 0, -a * np.log(a), np.where(a == 0, 0, -np.inf))
        return np.where(np.isnan(a), a, out).astype(a.dtype, copy=False)

    def backward(self, grad_output):
        (a,) = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return (-grad_output * (1 + np.log(a)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (-grad_output * (1 + a.log()),)


class Logcumsumexp(Op):
    """``log(cumsum(exp(a), dim))`` without overflow (``np.logaddexp.accumulate``).

    Gradient: ``grad_a[j] = sum_{i >= j} grad_output[i] exp(a[j] - out[i])``, computed as
    ``exp(a + rlcse(log g+ - out)) - exp(a + rlcse(log g- - out))`` with ``rlcse`` the reversed
    log-cumsum-exp and ``g+``/``g-`` the positive and negative parts of ``grad_output``, so that
    no term overflows (PyTorch's formula)."""

    __slots__ = ("dim",)
    arguments = ("dim",)

    def __init__(self, dim):
        self.dim = dim

    def forward(self, a):
        out = np.logaddexp.accumulate(a, axis=self.dim) if a.ndim else a.copy()
        self.saved = (a, out)
        return out.astype(a.dtype, copy=False)

    def backward(self, grad_output):
        a, out = self.saved
        if a.ndim == 0:
            return (grad_output,)
        dim = self.dim

        def reversed_lcse(v):
            return np.flip(np.logaddexp.accumulate(np.flip(v, dim), axis=dim), dim)

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            positive = np.log(np.where(grad_output > 0, grad_output, 0)) - out
            negative = np.log(np.where(grad_output < 0, -grad_output, 0)) - out
            grad = np.exp(a + reversed_lcse(positive)) - np.exp(a + reversed_lcse(negative))
        return (grad.astype(a.dtype, copy=False),)

    def composite(self, a):
        """``log(cumsum(exp(a - m))) + m`` along ``dim`` (``m`` the largest finite value, a
        constant), for ``create_graph=True``."""
        m = a.detach().amax(self.dim, keepdim=True)
        m = m.where(m.isfinite(), 0)
        return (a - m).exp().cumsum(self.dim).log() + m


class Frexp(Op):
    """The mantissa of ``np.frexp`` (in ``[0.5, 1)`` in magnitude, ``a = mantissa *
    2**exponent``); the exponent is a separate, non-differentiable result. Gradient:
    ``grad_output / 2**exponent``, PyTorch's."""

    __slots__ = ()
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a):
        mantissa, exponent = np.frexp(a)
        self.saved = (exponent,)
        return mantissa

    def backward(self, grad_output):
        (exponent,) = self.saved
        return (grad_output / np.exp2(exponent).astype(grad_output.dtype),)


class Ldexp(Op):
    """``a * 2**e`` (``torch.ldexp``: ``mul(a, pow(2.0, e))``), the result in the two operands'
    floating result dtype. Gradients, PyTorch's: ``grad_output * 2**e * log 2 * a`` for a
    floating ``e``; for ``a``, ``grad_output * 2**e`` with ``2**e`` computed in ``e``'s own
    dtype, so that an integer ``e < 0`` gives 0 there (PyTorch's integer ``pow``), not
    ``2**e``."""

    __slots__ = ()

    def forward(self, a, e):
        dtype = np.result_type(a, e) if e.dtype.kind == "f" else a.dtype
        self.saved = (a, e)
        with np.errstate(over="ignore"):
            return a.astype(dtype, copy=False) * np.power(2.0, e, dtype=np.float64).astype(dtype)

    def backward(self, grad_output):
        a, e = self.saved
        needs_a, needs_e = self.needs_input_grad
        with np.errstate(over="ignore"):
            power = np.power(2.0, e, dtype=np.float64).astype(grad_output.dtype)
        grad_a = grad_e = None
        if needs_a:
            grad_a = grad_output * (power if e.dtype.kind == "f" else np.where(e < 0, 0, power))
        if needs_e:
            grad_e = grad_output * a * power * grad_output.dtype.type(math.log(2))
        return grad_a, grad_e

    def tensor_backward(self, grad_output):
        a, e = self.inputs
        power = e.to(np.float64).exp2().to(grad_output.dtype)
        floating = e._array.dtype.kind == "f"
        grad_a = grad_output * (power if floating else power.where(e >= 0, 0))
        grad_e = grad_output * a * power * math.log(2) if floating else None
        return grad_a, grad_e
