"""``tinygrad_bn.special``, PyTorch's ``torch.special``: the real-valued special functions.

Each name is the one implementation the package has of its function (``special.gammaln`` is
``tinygrad_bn.lgamma``, ``special.expit`` is ``sigmoid``, ``special.psi`` is ``digamma``);
those only ``torch.special`` has (``i0e``, ``i1``, ``i1e``, ``erfcx``, ``ndtr``, ``ndtri``,
``log_ndtr``, ``entr``, ``xlog1py``, ``zeta``, the Bessel functions) live in
``tensor/special.py``. The functions take
``out=`` as PyTorch's do; every real function of ``torch.special`` is here.
"""

from . import (
    digamma, erf, erfc, erfinv, exp2, expm1, i0, igamma, igammac, lgamma, log1p, logit,
    mvlgamma, polygamma, round, sigmoid, sinc, xlogy,
)
from .tensor import out_argument as _out
from .tensor import special as _special

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma",
    "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc",
    "gammaincc", "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1",
    "i1e", "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr",
    "log_softmax", "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1",
    "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma",
    "psi", "round", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc", "softmax",
    "spherical_bessel_j0", "xlog1py", "xlogy", "zeta",
]

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma
gammainc = igamma
gammaincc = igammac
i0e = _out.with_out(_special.i0e, dtype=_out.CAST)
i1 = _out.with_out(_special.i1, dtype=_out.CAST)
i1e = _out.with_out(_special.i1e, dtype=_out.CAST)
erfcx = _out.with_out(_special.erfcx, dtype=_out.CAST)
ndtr = _out.with_out(_special.ndtr, dtype=_out.CAST)
ndtri = _out.with_out(_special.ndtri, dtype=_out.CAST)
log_ndtr = _out.with_out(_special.log_ndtr, dtype=_out.CAST)
entr = _out.with_out(_special.entr, dtype=_out.CAST)
xlog1py = _out.with_out(_special.xlog1py, dtype=_out.CAST)
zeta = _out.with_out(_special.zeta, dtype=_out.CAST)
modified_bessel_i0 = _out.with_out(_special.modified_bessel_i0, dtype=_out.CAST)
modified_bessel_i1 = _out.with_out(_special.modified_bessel_i1, dtype=_out.CAST)
modified_bessel_k0 = _out.with_out(_special.modified_bessel_k0, dtype=_out.CAST)
modified_bessel_k1 = _out.with_out(_special.modified_bessel_k1, dtype=_out.CAST)
scaled_modified_bessel_k0 = _out.with_out(_special.scaled_modified_bessel_k0, dtype=_out.CAST)
scaled_modified_bessel_k1 = _out.with_out(_special.scaled_modified_bessel_k1, dtype=_out.CAST)
spherical_bessel_j0 = _out.with_out(_special.spherical_bessel_j0, dtype=_out.CAST)
airy_ai = _out.with_out(_special.airy_ai, dtype=_out.CAST)
bessel_j0 = _out.with_out(_special.bessel_j0, dtype=_out.CAST)
bessel_j1 = _out.with_out(_special.bessel_j1, dtype=_out.CAST)
bessel_y0 = _out.with_out(_special.bessel_y0, dtype=_out.CAST)
bessel_y1 = _out.with_out(_special.bessel_y1, dtype=_out.CAST)
chebyshev_polynomial_t = _out.with_out(_special.chebyshev_polynomial_t, dtype=_out.CAST)
chebyshev_polynomial_u = _out.with_out(_special.chebyshev_polynomial_u, dtype=_out.CAST)
chebyshev_polynomial_v = _out.with_out(_special.chebyshev_polynomial_v, dtype=_out.CAST)
chebyshev_polynomial_w = _out.with_out(_special.chebyshev_polynomial_w, dtype=_out.CAST)
hermite_polynomial_h = _out.with_out(_special.hermite_polynomial_h, dtype=_out.CAST)
hermite_polynomial_he = _out.with_out(_special.hermite_polynomial_he, dtype=_out.CAST)
laguerre_polynomial_l = _out.with_out(_special.laguerre_polynomial_l, dtype=_out.CAST)
legendre_polynomial_p = _out.with_out(_special.legendre_polynomial_p, dtype=_out.CAST)
shifted_chebyshev_polynomial_t = _out.with_out(
    _special.shifted_chebyshev_polynomial_t, dtype=_out.CAST)
shifted_chebyshev_polynomial_u = _out.with_out(
    _special.shifted_chebyshev_polynomial_u, dtype=_out.CAST)
shifted_chebyshev_polynomial_v = _out.with_out(
    _special.shifted_chebyshev_polynomial_v, dtype=_out.CAST)
shifted_chebyshev_polynomial_w = _out.with_out(
    _special.shifted_chebyshev_polynomial_w, dtype=_out.CAST)

def softmax(input, dim, *, dtype=None):
    """``Tensor.softmax``: ``exp(x) / sum(exp(x), dim)``, computed in ``dtype`` when given."""
    return input.softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """``Tensor.log_softmax``: ``x - logsumexp(x, dim)``, computed in ``dtype`` when given."""
    return input.log_softmax(dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False):
    """``Tensor.logsumexp``: ``log(sum(exp(x), dim))`` without overflow."""
    return input.logsumexp(dim, keepdim=keepdim)
